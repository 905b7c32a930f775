#pragma once
// `profiles allow`: accepting a finding without relearning. One allowance adds one program,
// file (or file pattern), peer (or peer pattern) or syscall sequence to a profile; a running
// engine picks the changed file up as it does an import.
#include <string>

#include "core/result.h"
#include "detect/profile.h"

namespace da {

// `allowance` is "program PATH[=NAME]", "file MODE PATH", "peer VERB ADDRESS" or
// "sequence PROGRAM: call call ..." (up to six calls, the last being the one allowed after the
// others). Returns what was added, in words, or why it cannot be.
Result<std::string> apply_allowance(ImageProfile& profile, const std::string& allowance);

}  // namespace da
