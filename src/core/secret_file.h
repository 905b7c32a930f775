#pragma once
// Credentials live in files (or the environment), never on a command line where every user of
// the host sees them in `ps`. One reader for every such file: SMTP, Redis.
#include <string>

#include "core/result.h"

namespace da {

// The first line of `path`, without its line ending and trailing spaces; `what` names the file
// in errors ("SMTP credentials"). An empty line is an error: a file given is meant to hold one.
Result<std::string> read_secret_line(const std::string& path, const std::string& what);

}  // namespace da
