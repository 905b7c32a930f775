#pragma once
// The one event type every part of the pipeline shares: a completed system call of one thread,
// with its arguments decoded as far as the syscall table allows.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace da {

// One decoded argument value. Integers keep the signedness of their C type; paths are strings;
// execve's argv is a list of strings.
using ArgValue = std::variant<int64_t, uint64_t, std::string, std::vector<std::string>>;

// Ends a string argument that was longer than the capture could read (the eBPF backend keeps
// 255 bytes of a path): what follows is unknown, so the detector never lets a pattern or a mode
// cover such a path and reports it as sensitive.
inline constexpr std::string_view kTruncatedMark = "...(truncated)";

// Calls of one thread that the kernel judged on its own just before an event (eBPF capture of a
// stable program's thread: core/kernel_judge.h), and the thread's last calls, so the detector
// carries on exactly as if it had seen them.
struct JudgedCalls {
  static constexpr int kRecent = 21;  // a locality window (16) plus one sequence's context (5)
  uint32_t count = 0;                 // 0: none
  std::array<int16_t, kRecent> recent{};  // oldest first; -1 before the thread's first call
};

struct SyscallEvent {
  uint64_t timestamp_ns = 0;  // CLOCK_REALTIME at syscall exit
  std::string container_id;   // full 64-hex Docker id; empty for `trace` of a host command
  int32_t pid = 0;            // host thread-group id
  int32_t tid = 0;            // host thread id
  int32_t ns_pid = 0;         // pid inside the container's pid namespace
  int32_t ppid = 0;           // host pid of the parent process
  int32_t uid = -1;           // real uid of the process (host view); -1 unknown
  std::string comm;
  std::string exe;
  int32_t syscall_nr = -1;  // x86_64 number
  std::vector<ArgValue> args;  // in the syscall table's argument order
  int64_t ret = 0;
  // eBPF only (0 and empty elsewhere, and not on the Redis wire: in-kernel judging needs the
  // detector in the same process). thread_epoch names the thread's sequence state in the
  // kernel, which starts over at its first call and at each exec.
  uint32_t thread_epoch = 0;
  JudgedCalls judged;
};

}  // namespace da
