#pragma once
// File paths as profiles remember them: per-process and per-instance parts (pids, numeric
// ids) would make every run look new, so they are folded into placeholders.
#include <string>
#include <string_view>

namespace da {

// "/proc/1234/status" -> "/proc/<n>/status"; "/proc/self/fd/3" -> "/proc/self/fd/<n>";
// repeated and trailing slashes are removed. Relative paths stay relative.
std::string normalize_path(std::string_view path);

}  // namespace da
