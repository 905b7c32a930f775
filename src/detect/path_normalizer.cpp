#include "detect/path_normalizer.h"

#include <algorithm>
#include <cctype>

namespace da {

std::string normalize_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  if (!path.empty() && path.front() == '/') out.push_back('/');
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(i, end - i);
    if (!out.empty() && out.back() != '/') out.push_back('/');
    const bool numeric = std::all_of(part.begin(), part.end(),
                                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (numeric) out += "<n>";
    else out.append(part);
    i = end;
  }
  if (out.empty()) out = path.empty() ? "" : std::string(path.substr(0, 1));
  return out;
}

}  // namespace da
