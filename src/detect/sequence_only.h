#pragma once
// The calls the detector reads only as a place in a syscall sequence: no argument of theirs
// names a resource (event_resources), changes what the process table keeps, or trips an
// indicator, and none starts or ends a thread or process. Those are the calls the kernel may
// judge itself (core/kernel_judge.h); the rest are always sent. close changes the process table
// only in a process holding an outbound socket: it may be judged in any other.
#include <vector>

#include "core/kernel_judge.h"

namespace da {

// Indexed by call number (x86_64), kMaxSyscallNr entries.
std::vector<KernelJudge::CallUse> sequence_only_calls();

}  // namespace da
