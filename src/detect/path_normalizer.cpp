#include "detect/path_normalizer.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace da {
namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// One path component with its per-instance parts folded. A run of 12 or more hex digits with
// at least one digit becomes <x> (ids, hashes, session files — and PostgreSQL's WAL segments,
// "000000010000000000000009" and "00000001000000000000000A" alike); any other run of digits
// becomes <n> ("1234", "16764_fsm", "temp-13.rdb" with a container's small pids,
// "xlogtemp.17"). Version numbers fold too ("libc.so.<n>"): that costs nothing a detector needs.
void append_component(std::string& out, std::string_view part) {
  size_t i = 0;
  while (i < part.size()) {
    if (is_hex(part[i])) {
      size_t end = i;
      bool digit = false;
      while (end < part.size() && is_hex(part[end])) digit |= is_digit(part[end++]);
      if (end - i >= 12 && digit) {
        out += "<x>";
        i = end;
        continue;
      }
    }
    if (is_digit(part[i])) {
      while (i < part.size() && is_digit(part[i])) ++i;
      out += "<n>";
      continue;
    }
    out.push_back(part[i++]);
  }
}

}  // namespace

std::string normalize_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  const bool absolute = !path.empty() && path.front() == '/';
  // Components after resolving "." and "..", so /etc/./shadow and /tmp/../etc/shadow are
  // judged as /etc/shadow. A relative path keeps its leading ".." (nothing to resolve against).
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(i, end - i);
    i = end;
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!absolute) parts.push_back(part);
      continue;
    }
    parts.push_back(part);
  }
  if (absolute) out.push_back('/');
  for (size_t p = 0; p < parts.size(); ++p) {
    if (p) out.push_back('/');
    append_component(out, parts[p]);
  }
  if (out.empty() && !path.empty()) out = ".";
  return out;
}

std::string resolve_path(std::string_view cwd, std::string_view path) {
  if (path.empty() || path.front() == '/' || cwd.empty() || cwd.front() != '/') return std::string(path);
  std::string joined(cwd);
  joined.push_back('/');
  joined.append(path);
  return joined;
}

}  // namespace da
