#include "detect/learned_set.h"

#include <array>
#include <vector>

#include "core/syscall_event.h"

namespace da {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Directories whose contents are the system itself: knowing eight files under /etc says nothing
// about /etc/shadow.
bool never_generalised(std::string_view dir) {
  static constexpr std::array<std::string_view, 12> kSystem = {
      "/", "/etc/", "/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/",
      "/usr/local/sbin/", "/root/", "/boot/", "/dev/", "/var/spool/cron/"};
  for (auto s : kSystem)
    if (dir == s) return true;
  return starts_with(dir, "/etc/") || starts_with(dir, "/root/") || dir.find("/.ssh/") != std::string_view::npos;
}

struct FileKey {
  std::string_view mode, dir, name;  // dir ends with '/'
};

FileKey split_file(std::string_view key) {
  const auto space = key.find(' ');
  FileKey f{key.substr(0, space), {}, {}};
  std::string_view path = space == std::string_view::npos ? std::string_view{} : key.substr(space + 1);
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    f.name = path;
  } else {
    f.dir = path.substr(0, slash + 1);
    f.name = path.substr(slash + 1);
  }
  return f;
}

// Runs for every file access while learning and once stable: the exact key is looked up
// first, as it is; other modes and the pattern only when that misses.
bool covers_file(const LearnedSet& learned, std::string_view key) {
  if (learned.contains(key)) return true;
  const FileKey f = split_file(key);
  const bool sensitive = is_sensitive_file(key);
  // Reading is covered by a learned read-write, and so is writing.
  const bool rw_covers = f.mode == "r" || f.mode == "w";
  if (rw_covers && learned.count("rw " + std::string(f.dir) + std::string(f.name))) return true;
  if (sensitive || f.dir.empty()) return false;
  const std::string pattern = std::string(f.dir) + "*";
  return learned.count(std::string(f.mode) + " " + pattern) || (rw_covers && learned.count("rw " + pattern));
}

struct PeerKey {
  std::string_view verb, host, port;  // port empty for unix sockets and "accept HOST"
};

PeerKey split_peer(std::string_view key) {
  const auto space = key.find(' ');
  PeerKey p{key.substr(0, space), {}, {}};
  std::string_view address = space == std::string_view::npos ? std::string_view{} : key.substr(space + 1);
  if (address.empty() || address[0] == '/' || address[0] == '@') {
    p.host = address;
    return p;
  }
  const auto colon = address.rfind(':');
  const auto bracket = address.rfind(']');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) {
    p.host = address;
  } else {
    p.host = address.substr(0, colon);
    p.port = address.substr(colon + 1);
  }
  return p;
}

std::string peer(std::string_view verb, std::string_view host, std::string_view port) {
  std::string s = std::string(verb) + " " + std::string(host);
  if (!port.empty()) s += ":" + std::string(port);
  return s;
}

bool covers_peer(const LearnedSet& learned, std::string_view key) {
  if (learned.contains(key)) return true;
  const PeerKey p = split_peer(key);
  if (p.port.empty()) return !p.host.empty() && p.host[0] != '/' && p.host[0] != '@' && learned.count(peer(p.verb, "*", ""));
  return learned.count(peer(p.verb, "*", p.port)) || learned.count(peer(p.verb, p.host, "*")) ||
         learned.count(peer(p.verb, "*", "*"));
}

// Replaces the keys `matches` selects with `pattern` once there are enough of them.
template <typename Match>
void collapse(LearnedSet& learned, const std::string& pattern, std::string_view prefix, Match matches) {
  std::vector<std::string> siblings;
  for (auto it = learned.lower_bound(prefix); it != learned.end() && starts_with(*it, prefix); ++it)
    if (matches(*it)) siblings.push_back(*it);
  if (siblings.size() < kSiblingsForPattern) return;
  for (const auto& s : siblings) learned.erase(s);
  learned.insert(pattern);
}

void generalise_file(LearnedSet& learned, const std::string& key) {
  const FileKey f = split_file(key);
  if (f.dir.empty() || never_generalised(f.dir) || is_sensitive_file(key)) return;
  const std::string prefix = std::string(f.mode) + " " + std::string(f.dir);
  collapse(learned, prefix + "*", prefix, [&](const std::string& k) {
    const std::string_view name = std::string_view(k).substr(prefix.size());
    return name.find('/') == std::string_view::npos && name != "*" && !is_sensitive_file(k);
  });
}

void generalise_peer(LearnedSet& learned, const std::string& key) {
  const PeerKey p = split_peer(key);
  if (p.host.empty() || p.host[0] == '/' || p.host[0] == '@') return;  // unix sockets stay exact
  const std::string verb_prefix = std::string(p.verb) + " ";
  if (p.port.empty()) {  // "accept HOST": many clients
    collapse(learned, peer(p.verb, "*", ""), verb_prefix, [&](const std::string& k) {
      return split_peer(k).port.empty() && k != peer(p.verb, "*", "");
    });
    return;
  }
  // Many hosts on one port (clients of a service), or many ports on one host (ephemeral binds).
  collapse(learned, peer(p.verb, "*", p.port), verb_prefix, [&](const std::string& k) {
    const PeerKey o = split_peer(k);
    return o.port == p.port && o.host != "*";
  });
  if (!learned.count(std::string(key))) return;
  collapse(learned, peer(p.verb, p.host, "*"), verb_prefix + std::string(p.host) + ":", [&](const std::string& k) {
    const PeerKey o = split_peer(k);
    return o.host == p.host && o.port != "*";
  });
}

}  // namespace

bool is_sensitive_file(std::string_view key) {
  // A path cut by the capture could name anything (a long run of "a/../" before /etc/shadow).
  if (key.ends_with(kTruncatedMark)) return true;
  static constexpr std::array<std::string_view, 11> kSensitive = {
      "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/.ssh/", "/etc/ssh/", "/root/",
      "/var/run/docker.sock", "/run/docker.sock", "/proc/<n>/mem", "/etc/ld.so.preload", "/etc/cron"};
  for (auto s : kSensitive)
    if (key.find(s) != std::string_view::npos) return true;
  // Writing anything under a system directory is a change of the system, not of data.
  const bool writes = starts_with(key, "w ") || starts_with(key, "rw ");
  if (!writes) return false;
  static constexpr std::array<std::string_view, 7> kSystem = {" /etc/", " /bin/", " /usr/", " /sbin/",
                                                              " /lib/", " /lib64/", " /var/spool/cron/"};
  for (auto s : kSystem)
    if (key.find(s) != std::string_view::npos) return true;
  return false;
}

bool covers(const LearnedSet& learned, AnomalyKind kind, std::string_view key) {
  switch (kind) {
    case AnomalyKind::kFile: return covers_file(learned, key);
    case AnomalyKind::kNetwork: return covers_peer(learned, key);
    default: return learned.contains(key);
  }
}

bool learn_resource(LearnedSet& learned, AnomalyKind kind, const std::string& key) {
  if (covers(learned, kind, key)) return false;
  learned.insert(key);
  if (kind == AnomalyKind::kFile) generalise_file(learned, key);
  else if (kind == AnomalyKind::kNetwork) generalise_peer(learned, key);
  return true;
}

}  // namespace da
