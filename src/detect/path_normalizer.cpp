#include "detect/path_normalizer.h"

namespace da {
namespace {

// ASCII only, whatever the locale (and without a libc call per character).
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

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

// Appends the components of `path` to `out`, resolving "." and ".." as it goes: a ".." cuts the
// last component written rather than one kept in a list, so a path costs no allocation of its
// own (the agent normalises every file a container opens). `root` is where the components
// begin in `out`; `count` and `kept_up` the components written and the leading ".." among them.
struct ComponentWriter {
  std::string& out;
  size_t root;
  bool absolute;
  size_t count = 0;
  size_t kept_up = 0;  // a relative path keeps its leading ".." (nothing to resolve against)

  void add_all(std::string_view path) {
    size_t i = 0;
    while (i < path.size()) {
      while (i < path.size() && path[i] == '/') ++i;
      if (i >= path.size()) break;
      size_t end = path.find('/', i);
      if (end == std::string_view::npos) end = path.size();
      add(path.substr(i, end - i));
      i = end;
    }
  }

  void add(std::string_view part) {
    if (part == ".") return;
    if (part == "..") {
      if (count > kept_up) {
        // Components never hold a '/': the last one starts after the last separator written.
        const size_t slash = count > 1 ? out.rfind('/') : std::string::npos;
        out.resize(slash != std::string::npos && slash >= root ? slash : root);
        --count;
      } else if (!absolute) {
        if (count) out.push_back('/');
        out += "..";
        ++count;
        ++kept_up;
      }
      return;
    }
    if (count) out.push_back('/');
    append_component(out, part);
    ++count;
  }
};

}  // namespace

void append_normalized_path(std::string& out, std::string_view cwd, std::string_view path) {
  // Joined to the working directory only as resolve_path() would: relative to a known one.
  if (path.empty() || path.front() == '/' || cwd.empty() || cwd.front() != '/') cwd = {};
  const std::string_view first = cwd.empty() ? path : cwd;
  const bool absolute = !first.empty() && first.front() == '/';
  const size_t start = out.size();
  if (absolute) out.push_back('/');
  ComponentWriter writer{out, out.size(), absolute};
  writer.add_all(cwd);
  writer.add_all(path);
  if (out.size() == start && !path.empty()) out.push_back('.');
}

std::string normalize_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  append_normalized_path(out, {}, path);
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
