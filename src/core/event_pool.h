#pragma once
// Spent events, kept for reuse. A SyscallEvent owns heap memory (the container id, the
// executable's path, the argument list): building a new one per syscall costs several
// allocations and frees, which at a few hundred thousand events a second was a large share of
// the agent's CPU. The reader of a batch gives its events back once handled; the capture side
// takes them again and overwrites every field, so in the steady state an event is filled
// without allocating (only string arguments longer than what they replace still do).
#include <mutex>
#include <vector>

#include "core/syscall_event.h"

namespace da {

class EventPool {
 public:
  // Holds at most `max_events` spare events: a burst that outgrew it is freed, not hoarded.
  explicit EventPool(size_t max_events = 8192) : max_events_(max_events) {}

  // Any thread: events whose contents are no longer needed.
  void give_back(std::vector<SyscallEvent>&& events);
  // Up to one batch of spare events (none when the pool is empty).
  std::vector<SyscallEvent> take_batch();
  size_t spare() const;

 private:
  const size_t max_events_;
  mutable std::mutex mutex_;
  std::vector<std::vector<SyscallEvent>> batches_;
  size_t spare_ = 0;
};

// One producing thread's batch under construction, filled in place with spare events: no event
// is built, moved or freed per syscall. Refilled from the pool a whole batch at a time.
class EventBurst {
 public:
  // `batch_size`: how many events a burst usually holds before it is handed over.
  EventBurst(EventPool& pool, size_t batch_size) : pool_(pool), batch_size_(batch_size) {}
  // The next event to fill. A spare one keeps its old values: the caller overwrites every field.
  SyscallEvent& next();
  // Takes back the event next() gave last: it is not to be sent.
  void drop_last() { --filled_; }
  size_t size() const { return filled_; }
  // The filled events, to hand over; unfilled spares stay for the next burst.
  std::vector<SyscallEvent> take();

 private:
  EventPool& pool_;
  size_t batch_size_;
  std::vector<SyscallEvent> events_;
  size_t filled_ = 0;
};

}  // namespace da
