#include "detect/event_resources.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include <array>
#include <cerrno>

#include "detect/path_normalizer.h"
#include "syscalls/syscall_table.h"

namespace da {
namespace {

enum class Class { kExec, kOpen, kWriteTarget, kPeerGiven, kPeerAccepted };

struct Rule {
  int nr;
  Class what;
  int arg;        // the path or address argument
  int flags_arg;  // kOpen: the flags argument, -1 none (creat: write)
  const char* verb;
};

// Which syscalls touch what. Renames and links count as writes of their target: that is how
// a file appears under a name (redis SAVE writes temp-<pid>.rdb, then renames it).
constexpr Rule kRules[] = {
    {SYS_execve, Class::kExec, 0, -1, nullptr},
    {SYS_execveat, Class::kExec, 1, -1, nullptr},
    {SYS_open, Class::kOpen, 0, 1, nullptr},
    {SYS_openat, Class::kOpen, 1, 2, nullptr},
    {SYS_openat2, Class::kOpen, 1, -2, nullptr},  // flags behind a pointer: mode unknown
    {SYS_creat, Class::kOpen, 0, -1, nullptr},
    {SYS_rename, Class::kWriteTarget, 1, -1, nullptr},
    {SYS_renameat, Class::kWriteTarget, 3, -1, nullptr},
    {SYS_renameat2, Class::kWriteTarget, 3, -1, nullptr},
    {SYS_link, Class::kWriteTarget, 1, -1, nullptr},
    {SYS_linkat, Class::kWriteTarget, 3, -1, nullptr},
    {SYS_symlink, Class::kWriteTarget, 1, -1, nullptr},
    {SYS_symlinkat, Class::kWriteTarget, 2, -1, nullptr},
    {SYS_connect, Class::kPeerGiven, 1, -1, "connect"},
    {SYS_bind, Class::kPeerGiven, 1, -1, "bind"},
    {SYS_sendto, Class::kPeerGiven, 4, -1, "sendto"},
    {SYS_accept, Class::kPeerAccepted, 1, -1, "accept"},
    {SYS_accept4, Class::kPeerAccepted, 1, -1, "accept"},
};

// Looked up on every event: an index by syscall number, not a scan of the table.
const Rule* rule_for(int nr) {
  static const auto index = [] {
    std::array<const Rule*, kMaxSyscallNr> by_nr{};
    for (const Rule& r : kRules) by_nr[static_cast<size_t>(r.nr)] = &r;
    return by_nr;
  }();
  return nr >= 0 && nr < kMaxSyscallNr ? index[static_cast<size_t>(nr)] : nullptr;
}

const char* open_mode(int64_t flags) {
  const int64_t access = flags & O_ACCMODE;
  if (access == O_WRONLY) return "w";
  if (access == O_RDWR) return "rw";
  return (flags & (O_CREAT | O_TRUNC)) ? "w" : "r";
}

// "10.0.0.2:51234" -> "10.0.0.2"; "[::1]:80" -> "[::1]"; unix paths unchanged.
std::string without_port(const std::string& address) {
  if (address.empty() || address[0] == '/' || address[0] == '@') return address;
  auto colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

// "MODE PATH" (MODE empty: the path alone), the path resolved against the working directory
// and normalised, built in one string: every file a container opens comes through here.
std::string file_key(std::string_view mode, const std::string& path, std::string_view cwd) {
  std::string key;
  key.reserve(mode.size() + 1 + cwd.size() + 1 + path.size());
  if (!mode.empty()) {
    key.append(mode);
    key.push_back(' ');
  }
  append_normalized_path(key, cwd, path);
  return key;
}

}  // namespace

const std::string* string_at(const SyscallEvent& e, size_t index) {
  return index < e.args.size() ? std::get_if<std::string>(&e.args[index]) : nullptr;
}

int64_t int_at(const SyscallEvent& e, size_t index) {
  if (index >= e.args.size()) return 0;
  if (auto v = std::get_if<int64_t>(&e.args[index])) return *v;
  if (auto v = std::get_if<uint64_t>(&e.args[index])) return static_cast<int64_t>(*v);
  return 0;
}

bool has_resources(int nr) { return rule_for(nr) != nullptr; }

bool is_path_and_flags_open(int nr) {
  const Rule* rule = rule_for(nr);
  return rule && rule->what == Class::kOpen && rule->flags_arg >= 0;
}

std::optional<PathAndFlagsOpen> path_and_flags_open(const SyscallEvent& e) {
  if (!is_path_and_flags_open(e.syscall_nr)) return std::nullopt;
  const Rule* rule = rule_for(e.syscall_nr);
  const std::string* path = string_at(e, static_cast<size_t>(rule->arg));
  if (!path) return std::nullopt;
  return PathAndFlagsOpen{path, static_cast<uint32_t>(int_at(e, static_cast<size_t>(rule->flags_arg)))};
}

namespace {

// What one event touches, before its key is built.
struct Touch {
  AnomalyKind kind;
  const std::string* arg;  // the path or the address
  const char* mode;        // a file: "r", "w", "rw", "?" ("" for a program); null for a peer
  const char* verb;        // a peer
  bool strip_port;         // an accepted peer: the client's port is ephemeral
};

bool touch_of(const SyscallEvent& e, Touch& t) {
  const Rule* rule = rule_for(e.syscall_nr);
  if (!rule) return false;
  const std::string* arg = string_at(e, static_cast<size_t>(rule->arg));
  if (!arg) return false;
  switch (rule->what) {
    case Class::kExec:
      if (e.ret != 0) return false;
      t = {AnomalyKind::kProgram, arg, "", nullptr, false};
      return true;
    case Class::kOpen: {
      // Failed lookups (search paths) are noise; refused access to a file is not.
      if (e.ret < 0 && e.ret != -EACCES && e.ret != -EPERM) return false;
      const char* mode = rule->flags_arg >= 0   ? open_mode(int_at(e, static_cast<size_t>(rule->flags_arg)))
                         : rule->flags_arg == -1 ? "w"
                                                 : "?";
      t = {AnomalyKind::kFile, arg, mode, nullptr, false};
      return true;
    }
    case Class::kWriteTarget:
      if (e.ret != 0) return false;
      t = {AnomalyKind::kFile, arg, "w", nullptr, false};
      return true;
    case Class::kPeerGiven:
      t = {AnomalyKind::kNetwork, arg, nullptr, rule->verb, false};
      return true;
    case Class::kPeerAccepted:
      if (e.ret < 0) return false;
      t = {AnomalyKind::kNetwork, arg, nullptr, rule->verb, true};
      return true;
  }
  return false;
}

}  // namespace

std::span<const Resource> ResourceScanner::scan(const SyscallEvent& e, std::string_view cwd) {
  Touch t;
  if (!touch_of(e, t)) return {};
  last_.kind = t.kind;
  if (!t.mode) {  // a peer
    last_.key = std::string(t.verb) + " " + (t.strip_port ? without_port(*t.arg) : *t.arg);
    return {&last_, 1};
  }
  // The key depends on the mode, the path as given, and the working directory only for a
  // relative path. NUL separates them: no path holds one.
  const std::string& path = *t.arg;
  raw_.assign(t.mode).push_back('\0');
  if (path.empty() || path.front() != '/') raw_.append(cwd);
  raw_.push_back('\0');
  raw_.append(path);
  auto known = keys_.find(raw_);
  if (known == keys_.end()) {
    if (keys_.size() >= kRememberedKeys) keys_.clear();  // a container opening ever new names
    known = keys_.emplace(raw_, file_key(t.mode, path, cwd)).first;
  }
  last_.key.assign(known->second);  // into the kept buffer: no allocation once it is large enough
  return {&last_, 1};
}

std::string describe_file(const std::string& key) {
  const auto space = key.find(' ');
  const std::string mode = key.substr(0, space), path = key.substr(space + 1);
  const char* how = mode == "r" ? "for reading" : mode == "w" ? "for writing" : mode == "rw" ? "for reading and writing" : "";
  std::string text = path + (*how ? std::string(" ") + how : "");
  if (path.ends_with(kTruncatedMark)) text += " (a path too long to capture whole: the rest is unknown)";
  return text;
}

}  // namespace da
