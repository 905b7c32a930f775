#pragma once
// What the detector hands the capture so that calls it could do nothing with are judged in the
// kernel and never sent: the known syscall sequences of each stable program, with a bound on
// each one's surprise, and which threads run which program. While a profile learns, the same
// registrations let the kernel side hold calls back and hand them over in bulk. Implemented by the eBPF backend
// (capture/ebpf/syscall_capture.h says what the kernel side does with it); the detector calls
// it from the consumer thread. Defined here, below both, so neither depends on the other.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace da {

class KernelJudge {
 public:
  static constexpr int kWindow = 16;  // the locality window the kernel side keeps
  static constexpr int kOrder = 6;    // calls per sequence: 5 of context and the call

  struct KnownSequence {
    std::array<int16_t, kOrder> calls;  // -1: before the thread's first call
    float surprise;                     // as the detector scores it (clipped)
  };

  // What the detector reads of a call: whether the kernel side may judge it.
  enum class CallUse : uint8_t {
    kSent = 0,          // its arguments matter (a path, an address, a process change)
    kSequenceOnly = 1,  // only its place in a sequence
    // Only its place in a sequence while its process holds no outbound internet socket: close,
    // which the process table follows only in a process that connected one (a reverse shell's
    // socket). The kernel side knows which processes connected (or were forked by one).
    kSequenceOnlyUnconnected = 2,
  };

  virtual ~KernelJudge() = default;
  // What each call (by number) is to the detector.
  virtual void set_sequence_only(const std::vector<CallUse>& by_number) = 0;
  // A stable program: its known sequences, and the window sum of surprises below which the
  // detector's window can neither raise an alarm nor leave one. Returns the program's id, or
  // 0 when it is not judged in the kernel (no room); the error says why.
  virtual uint32_t add_program(const std::vector<KnownSequence>& known, double quiet_sum,
                               std::string& error) = 0;
  // A learning program: nothing is known yet, so each sequence-only call of its threads is
  // held back instead, at most kWindow + kOrder - 1 in a row (SyscallEvent::judged carries
  // that many), and handed over with the thread's next event for the detector to learn. 0
  // when there is no room (its calls are all sent); the error says why.
  virtual uint32_t add_learning_program(std::string& error) = 0;
  // An open the detector would do nothing with, by `program`'s threads: a known file, no
  // indicator's target, not sensitive (`nr` is SYS_open or SYS_openat, with its flags and
  // whether it failed; an absolute path). From now on such an open counts as sequence-only:
  // held back while learning, judged when stable. A nginx serving one page opens it at every
  // request; otherwise each request would cost a record.
  virtual void add_known_open(uint32_t program, int nr, uint32_t flags, bool failed, const std::string& path) = 0;
  virtual void remove_program(uint32_t id) = 0;
  // The thread whose sequence state is `epoch` runs `program` under the name `comm`.
  virtual void follow_thread(int32_t tid, uint32_t epoch, uint32_t program, const std::string& comm) = 0;
  // A registered thread ended: its registration, if the kernel side has not taken it yet (a
  // process gone within milliseconds), is dropped rather than left to fill the table.
  virtual void forget_thread(int32_t tid) = 0;
};

}  // namespace da
