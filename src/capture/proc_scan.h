#pragma once
// What /proc tells about processes: who belongs to a container (by cgroup, which holds for
// every process of it whatever its parent or pid namespace), thread lists, names.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace da {

// Processes (thread-group leaders) whose cgroup path names the container id.
std::vector<pid_t> pids_in_container(const std::string& container_id);
bool process_in_container(pid_t pid, const std::string& container_id);
// The Docker container id (64 hex digits) in the process's cgroup path, if any.
std::optional<std::string> container_id_of(pid_t pid);
std::vector<pid_t> threads_of(pid_t pid);

struct ProcStatus {
  pid_t tgid = 0;
  pid_t ppid = 0;
  pid_t ns_pid = 0;  // innermost pid namespace's number (NSpid's last field)
  int ns_level = 0;  // how deep its pid namespace is nested (0: the initial one)
  int tracer_pid = 0;
  int uid = -1;  // real uid (host view)
};
std::optional<ProcStatus> read_proc_status(pid_t tid);
std::string read_comm(pid_t tid);
std::string read_exe(pid_t pid);
std::vector<std::string> read_cmdline(pid_t pid);
// Address of the file name the process was exec'd with (the auxiliary vector's AT_EXECFN),
// readable in its memory; 0 if unknown.
uint64_t read_execfn_address(pid_t pid);

}  // namespace da
