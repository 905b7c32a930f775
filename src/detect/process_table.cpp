#include "detect/process_table.h"

#include <sys/syscall.h>

#include "detect/event_resources.h"
#include "detect/path_normalizer.h"

namespace da {
namespace {

bool is_internet_address(const std::string* address) {
  return address && !address->empty() && (*address)[0] != '/' && (*address)[0] != '@' &&
         address->rfind("unix:", 0) != 0 && address->rfind("family=", 0) != 0;
}

// Outbound sockets follow dup/dup2/dup3/fcntl(F_DUPFD) and close; returns true when one
// landed on standard input, output or error.
bool track_descriptors(ProcessState& p, const SyscallEvent& e) {
  auto dup_onto = [&](int64_t from, int64_t to) {
    if (to < 0) return false;
    if (p.outbound.count(static_cast<int>(from))) {
      p.outbound.insert(static_cast<int>(to));
      if (to <= 2) {
        p.stdio_socket = true;
        return true;
      }
    } else {
      p.outbound.erase(static_cast<int>(to));
    }
    return false;
  };
  constexpr int64_t kInProgress = -115;  // -EINPROGRESS: a non-blocking connect under way
  switch (e.syscall_nr) {
    case SYS_connect:
      if ((e.ret == 0 || e.ret == kInProgress) && is_internet_address(string_at(e, 1)))
        p.outbound.insert(static_cast<int>(int_at(e, 0)));
      return false;
    case SYS_bind:
      if (e.ret == 0 && is_internet_address(string_at(e, 1))) p.network_server = true;
      return false;
    case SYS_accept:
    case SYS_accept4:
      if (e.ret >= 0 && is_internet_address(string_at(e, 1))) p.network_server = true;
      return false;
    case SYS_dup:
      return e.ret >= 0 && dup_onto(int_at(e, 0), e.ret);
    case SYS_dup2:
    case SYS_dup3:
      return e.ret >= 0 && dup_onto(int_at(e, 0), int_at(e, 1));
    case SYS_fcntl:
      return e.ret >= 0 && (int_at(e, 1) == 0 /* F_DUPFD */ || int_at(e, 1) == 1030 /* F_DUPFD_CLOEXEC */) &&
             dup_onto(int_at(e, 0), e.ret);
    case SYS_close:
      if (!p.outbound.empty()) p.outbound.erase(static_cast<int>(int_at(e, 0)));
      return false;
    default:
      return false;
  }
}

}  // namespace

bool ProcessTable::reads_call(int nr) {
  switch (nr) {
    case SYS_execve: case SYS_execveat: case SYS_chdir: case SYS_fchdir: case SYS_exit_group:
    case SYS_connect: case SYS_bind: case SYS_accept: case SYS_accept4:
    case SYS_dup: case SYS_dup2: case SYS_dup3: case SYS_fcntl: case SYS_close:
      return true;
    default:
      return false;
  }
}

bool ProcessTable::reads_call_only_when_connected(int nr) { return nr == SYS_close; }

ProcessUpdate ProcessTable::update(const SyscallEvent& e, int64_t now) {
  ProcessUpdate u;
  auto [it, is_new] = processes_.try_emplace(e.pid);
  ProcessState& process = it->second;
  const bool is_exec = e.syscall_nr == SYS_execve || e.syscall_nr == SYS_execveat;
  if (!is_new && !is_exec && e.ppid != process.ppid && (e.exe != process.exe || e.comm != process.comm)) {
    // Another parent and another program without an exec: a recycled pid (the old process died
    // without an exit we saw). Start over, so nothing reported for the old one silences the
    // new one. (A reparented process keeps its exe and name: its state stays.)
    process = ProcessState{};
    is_new = true;
  }
  if (is_new) {
    // A fork: the child starts as a copy of what matters of its parent.
    auto parent = processes_.find(e.ppid);
    if (parent != processes_.end()) {
      process.program = parent->second.program;
      process.cmdline = parent->second.cmdline;
      process.cwd = parent->second.cwd;
      process.outbound = parent->second.outbound;
      process.stdio_socket = parent->second.stdio_socket;
      process.network_server = parent->second.network_server;
    } else {
      process.program = e.comm;
    }
  }
  // Per syscall: copy the names only when they change (an exec, a prctl rename).
  if (process.comm != e.comm) process.comm = e.comm;
  if (process.exe != e.exe) process.exe = e.exe;
  process.ppid = e.ppid;
  process.last_seen = now;
  u.process = &process;
  u.exec_done = is_exec && e.ret == 0;
  if (u.exec_done) {
    u.program_before = process.program;
    process.cmdline.clear();
    for (const auto& a : e.args)
      if (auto argv = std::get_if<std::vector<std::string>>(&a)) process.cmdline = *argv;
    process.program = e.comm;
    if (!process.cmdline.empty() && !process.cmdline[0].empty()) {
      const std::string& argv0 = process.cmdline[0];
      process.program = argv0.substr(argv0.find_last_of('/') + 1);
    }
  } else if (e.syscall_nr == SYS_chdir && e.ret == 0) {
    if (auto path = string_at(e, 0)) {
      const std::string resolved = resolve_path(process.cwd, *path);
      process.cwd = !resolved.empty() && resolved[0] == '/' ? normalize_path(resolved) : std::string();
    }
  } else if (e.syscall_nr == SYS_fchdir && e.ret == 0) {
    process.cwd.clear();  // a directory descriptor: where it points is not in the event
  } else {
    u.socket_onto_stdio = track_descriptors(process, e);
  }
  return u;
}

void ProcessTable::exited(const SyscallEvent& e) {
  if (e.syscall_nr == SYS_exit_group) processes_.erase(e.pid);
}

const ProcessState* ProcessTable::find(int32_t pid) const {
  auto it = processes_.find(pid);
  return it == processes_.end() ? nullptr : &it->second;
}

std::string ProcessTable::parent_chain(int32_t ppid) const {
  std::string chain;
  for (int depth = 0; depth < 6 && ppid > 0; ++depth) {
    auto it = processes_.find(ppid);
    if (!chain.empty()) chain += " < ";
    if (it == processes_.end()) {
      chain += std::to_string(ppid);
      break;
    }
    chain += it->second.comm + "(" + std::to_string(ppid) + ")";
    ppid = it->second.ppid;
  }
  return chain;
}

void ProcessTable::purge_idle(int64_t now, int64_t idle_seconds) {
  std::erase_if(processes_, [&](const auto& p) { return now - p.second.last_seen > idle_seconds; });
}

}  // namespace da
