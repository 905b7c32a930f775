#pragma once
// What the engine knows of each process it sees: its names, argv, parent, working directory
// and which of its file descriptors are network sockets — built from the events alone, so it
// works the same in `run` and in a `detect` reading another host's stream.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/syscall_event.h"

namespace da {

struct ProcessState {
  std::string comm, exe;
  // What the program is called: argv[0]'s base name when the exec was seen (busybox runs
  // every applet as /proc/self/exe, so comm says "exe"), else comm. Inherited over fork.
  std::string program;
  int32_t ppid = 0;
  std::vector<std::string> cmdline;
  std::string cwd;         // absolute when known (inherited, then chdir), else empty
  // Descriptors of internet sockets this process (or its parent before a fork) connected
  // outward: what a reverse shell puts on its standard input/output. Accepted connections
  // are not tracked: servers juggle thousands, and a pipe reusing a closed one's number must
  // not look like a socket.
  std::set<int> outbound;
  bool stdio_socket = false;     // fd 0, 1 or 2 is one of those
  bool network_server = false;   // bound or accepted an internet socket (inherited over fork)
  std::set<std::string> reported;  // what this process was already reported for
  std::map<std::string, int64_t> indicated;  // indicator rule + subject -> when last reported
  int64_t last_seen = 0;
};

// What one event changed about its process.
struct ProcessUpdate {
  ProcessState* process = nullptr;
  bool exec_done = false;      // a successful execve: a new program
  std::string program_before;  // the program that made the exec (the daemon that spawned a shell)
  bool socket_onto_stdio = false;  // this event put a socket on fd 0, 1 or 2
};

class ProcessTable {
 public:
  ProcessUpdate update(const SyscallEvent& e, int64_t now);
  // Whether update() reads anything of call `nr` beyond the names every event carries.
  static bool reads_call(int nr);
  // Whether that is only so in a process holding outbound sockets (close: there is nothing to
  // forget in one without). A process has them only after an internet connect of its own or
  // of its parent before the fork — all calls the table sees, and the kernel side can follow.
  static bool reads_call_only_when_connected(int nr);
  void exited(const SyscallEvent& e);
  const ProcessState* find(int32_t pid) const;
  // "sh(4242) < containerd-shim(4100)", nearest first.
  std::string parent_chain(int32_t ppid) const;
  void purge_idle(int64_t now, int64_t idle_seconds);
  size_t size() const { return processes_.size(); }

 private:
  std::unordered_map<int32_t, ProcessState> processes_;  // by host pid
};

}  // namespace da
