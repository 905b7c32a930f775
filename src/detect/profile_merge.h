#pragma once
// Edge mode (issue 13): one fleet profile per image from what each host learned of it. Counts
// add up (calls, syscall sequences, held-back sequences), sets join (programs, executables,
// files, peers), each host's held-back calls keep their own threads (for thresholds), and a
// program's convergence is that of the host where it is least converged — the fleet profile is
// ready only when every host has seen enough, never because one host has.
#include <cstdint>
#include <vector>

#include "detect/profile.h"

namespace da {

// `parts`: learning profiles of one image, one per host. The result is learning too.
ImageProfile merge_learning(const std::vector<ImageProfile>& parts, int64_t now);

}  // namespace da
