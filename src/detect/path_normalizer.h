#pragma once
// File paths as profiles remember them: per-process and per-instance parts (pids, numeric
// ids, hashes) would make every run look new, so they are folded into placeholders; "." and
// ".." are resolved first so that a path cannot dodge a rule by its spelling.
#include <string>
#include <string_view>

namespace da {

// "/proc/1234/status" -> "/proc/<n>/status"; "base/16384/16764_fsm" -> "base/<n>/<n>_fsm";
// "/etc/./shadow" -> "/etc/shadow"; repeated and trailing slashes are removed. Relative paths
// stay relative.
std::string normalize_path(std::string_view path);

// normalize_path(resolve_path(cwd, path)) appended to `out`, without building either string:
// the form the detector uses for every file a container opens ("r " + the path).
void append_normalized_path(std::string& out, std::string_view cwd, std::string_view path);

// A relative path joined to the process's working directory when that is known (absolute).
std::string resolve_path(std::string_view cwd, std::string_view path);

}  // namespace da
