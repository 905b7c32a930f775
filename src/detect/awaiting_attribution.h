#pragma once
// Events of a container whose name and image have not arrived yet. The eBPF backend sees a
// container's first process before Docker's start event has been inspected, and a profile is
// per image: such events are held (bounded) until the metadata comes, then judged in the order
// they happened; past `max_wait` they are given up and counted, never judged against the
// wrong image.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/syscall_event.h"

namespace da {

class AwaitingAttribution {
 public:
  using Clock = std::chrono::steady_clock;
  struct Held {
    Clock::time_point since;
    std::string host;
    std::vector<SyscallEvent> events;
  };
  struct GivenUp {
    std::string container_id;
    uint64_t events = 0;
  };

  explicit AwaitingAttribution(size_t max_events_per_container = 50000,
                               Clock::duration max_wait = std::chrono::seconds(30))
      : max_events_(max_events_per_container), max_wait_(max_wait) {}

  // Keeps an event that cannot be attributed yet (beyond the bound it is only counted).
  void hold(const SyscallEvent& event, const std::string& host, Clock::time_point now);
  // The container's metadata arrived: its held events, oldest first (empty if none).
  std::vector<SyscallEvent> release(const std::string& container_id);
  // Gives up on containers held longer than max_wait; what was given up is counted.
  std::vector<GivenUp> expire(Clock::time_point now);
  bool empty() const { return held_.empty(); }
  // Events never judged: over the bound, given up, or (after give_up_all) still held.
  uint64_t never_identified() const { return never_identified_; }
  void give_up_all();

 private:
  const size_t max_events_;
  const Clock::duration max_wait_;
  std::map<std::string, Held> held_;
  uint64_t never_identified_ = 0;
};

}  // namespace da
