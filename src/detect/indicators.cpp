#include "detect/indicators.h"

#include <sys/syscall.h>

#include <array>
#include <string_view>

namespace da {
namespace {

template <size_t N>
bool one_of(std::string_view name, const std::array<std::string_view, N>& names) {
  for (auto n : names)
    if (name == n) return true;
  return false;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string_view base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_interpreter(std::string_view program) {
  return starts_with(program, "python") || starts_with(program, "perl") || starts_with(program, "ruby") ||
         starts_with(program, "php") || starts_with(program, "lua") || program == "node";
}

// Network daemons that never start a shell in normal operation. (sshd and interpreters do, so
// they are not here.)
bool is_daemon(std::string_view program) {
  static constexpr std::array<std::string_view, 14> kDaemons = {
      "redis-server", "redis-sentinel", "postgres", "postmaster", "nginx", "httpd", "apache2",
      "mysqld", "mariadbd", "memcached", "mongod", "haproxy", "named", "lighttpd"};
  return one_of(program, kDaemons) || starts_with(program, "php-fpm");
}

bool is_downloader(std::string_view program) {
  static constexpr std::array<std::string_view, 12> kTools = {
      "curl", "wget", "nc", "ncat", "netcat", "nc.openbsd", "nc.traditional", "socat", "telnet", "tftp", "ftp", "fetch"};
  return one_of(program, kTools);
}

bool is_temp_path(std::string_view path) {
  return starts_with(path, "/tmp/") || starts_with(path, "/var/tmp/") || starts_with(path, "/dev/shm/") ||
         starts_with(path, "/run/shm/");
}

// Writes that persist an attacker or change the system. Keys are "MODE PATH".
const char* persistence_target(std::string_view key) {
  if (!starts_with(key, "w ") && !starts_with(key, "rw ")) return nullptr;
  const std::string_view path = key.substr(key.find(' ') + 1);
  const std::string_view name = base_name(path);
  if (starts_with(name, "authorized_keys")) return "an SSH authorized_keys file";
  if (starts_with(path, "/etc/cron") || starts_with(path, "/var/spool/cron/")) return "a cron table";
  if (path == "/etc/passwd" || path == "/etc/shadow" || path == "/etc/group" || path == "/etc/gshadow" ||
      starts_with(path, "/etc/sudoers"))
    return "an account or sudo file";
  if (path == "/etc/ld.so.preload") return "the dynamic linker's preload list";
  if (name == ".bashrc" || name == ".profile" || name == ".bash_profile" || starts_with(path, "/etc/profile"))
    return "a shell start-up file";
  static constexpr std::array<std::string_view, 6> kBinDirs = {"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/",
                                                               "/usr/local/bin/", "/usr/local/sbin/"};
  for (auto dir : kBinDirs)
    if (starts_with(path, dir)) return "a directory of system programs";
  return nullptr;
}

bool is_terminal_query(const SyscallEvent& e) {
  constexpr int64_t kTcgets = 0x5401, kTiocgwinsz = 0x5413;
  if (e.syscall_nr != SYS_ioctl || e.ret != 0) return false;
  const int64_t fd = int_at(e, 0), request = int_at(e, 1);
  return (fd <= 2 || fd == 255) && (request == kTcgets || request == kTiocgwinsz);
}

}  // namespace

bool is_shell(const std::string& program) {
  static constexpr std::array<std::string_view, 11> kShells = {"sh", "bash", "dash", "ash", "zsh", "ksh",
                                                               "mksh", "tcsh", "csh", "fish", "busybox"};
  std::string_view p = program;
  if (!p.empty() && p[0] == '-') p.remove_prefix(1);  // a login shell's argv[0]
  return one_of(p, kShells);
}

bool indicators_read(int nr) { return nr == SYS_ioctl; }

bool indicators_watch_file(std::string_view key) { return persistence_target(key) != nullptr; }

std::vector<IndicatorHit> check_indicators(const SyscallEvent& e, const ProcessUpdate& u,
                                           std::span<const Resource> resources,
                                           const LearnedSet& known_execs) {
  std::vector<IndicatorHit> hits;
  const ProcessState& p = *u.process;
  if (u.socket_onto_stdio && (is_shell(p.program) || is_interpreter(p.program)))
    hits.push_back({"reverse-shell", Severity::kHigh, p.program,
                    p.program + " connected its standard input/output to a network socket (a reverse shell)"});
  if (u.exec_done) {
    const std::string exe_path = resources.empty() ? e.exe : resources.front().key;
    if (p.stdio_socket && (is_shell(p.program) || is_interpreter(p.program)))
      hits.push_back({"reverse-shell", Severity::kHigh, p.program,
                      p.program + " was started with a network socket as its standard input/output (a reverse shell)"});
    // Only a daemon that serves the network: initdb runs `postgres --boot`, which runs
    // `sh -c "locale -a"`, and that is no attack.
    if (is_shell(p.program) && is_daemon(u.program_before) && p.network_server)
      hits.push_back({"server-shell", Severity::kHigh, p.program,
                      "the network server " + u.program_before + " started the shell " + p.program +
                          ": servers do not run shells; this is how injected commands run"});
    const bool known = known_execs.count(exe_path) > 0;
    if (is_downloader(p.program) && !known)
      hits.push_back({"downloader", Severity::kHigh, exe_path,
                      p.program + " (" + exe_path + "), a download or network tool this image never ran, was started by " +
                          (u.program_before.empty() ? std::string("an unknown process") : u.program_before)});
    if (is_temp_path(exe_path) && !known)
      hits.push_back({"temp-exec", Severity::kHigh, exe_path,
                      "a program was run from a temporary directory: " + exe_path + " (downloaded or dropped, then run)"});
  }
  for (const auto& r : resources) {
    if (r.kind != AnomalyKind::kFile) continue;
    if (const char* what = persistence_target(r.key)) {
      const std::string path = r.key.substr(r.key.find(' ') + 1);
      hits.push_back({"persistence-write", Severity::kHigh, path,
                      p.program + " wrote " + what + ": " + path + (e.ret < 0 ? " (refused)" : "")});
    }
  }
  if (is_terminal_query(e) && is_shell(p.program))
    hits.push_back({"terminal-shell", Severity::kMedium, p.program,
                    "an interactive shell (" + p.program + ") runs on a terminal in the container (docker exec -it or run -t)"});
  return hits;
}

}  // namespace da
