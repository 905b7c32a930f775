#pragma once
// Synthetic events for tests and fuzz seeds: one call of a process in container "ccc…", as a
// capture backend would hand it over.
#include <cstdint>
#include <string>
#include <vector>

#include "core/syscall_event.h"

namespace da::synthetic {

inline const std::string& container_id() {
  static const std::string id(64, 'c');
  return id;
}

inline SyscallEvent call(int64_t second, int32_t pid, int nr, std::vector<ArgValue> args = {},
                         int64_t ret = 0, std::string comm = "worker",
                         std::string exe = "/usr/bin/worker") {
  SyscallEvent e;
  e.timestamp_ns = static_cast<uint64_t>(second) * 1'000'000'000ULL;
  e.container_id = container_id();
  e.pid = e.tid = pid;
  e.ns_pid = 7;
  e.ppid = 1;
  e.uid = 0;
  e.comm = std::move(comm);
  e.exe = std::move(exe);
  e.syscall_nr = nr;
  e.args = std::move(args);
  e.ret = ret;
  return e;
}

}  // namespace da::synthetic
