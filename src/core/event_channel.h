#pragma once
// Hand-off from a capture thread to the shipper thread: events are grouped into batches; a full
// batch is queued at once, a partial one leaves after `flush_interval` so a quiet container's
// calls still arrive promptly. Bounded: beyond `max_pending_batches` new events are counted as
// dropped rather than growing without limit.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "core/event_pool.h"
#include "core/syscall_event.h"

namespace da {

class EventChannel {
 public:
  explicit EventChannel(size_t batch_size = 256, size_t max_pending_batches = 4096)
      : batch_size_(batch_size), max_pending_batches_(max_pending_batches) {}

  void push(SyscallEvent&& event);
  // Hands over a burst of events under one lock: a backend that reads records in bursts takes
  // the lock once per burst, and a burst that starts a batch becomes it without moving an event.
  // A burst is kept whole, so a batch may exceed batch_size by one burst.
  void push_all(std::vector<SyscallEvent>&& events);
  size_t batch_size() const { return batch_size_; }
  // Blocks up to `max_wait` for a full batch; then returns whatever is pending (maybe nothing).
  // Returns an empty vector only on timeout with nothing pending or once closed and drained.
  std::vector<SyscallEvent> take(std::chrono::milliseconds max_wait);
  void close();
  bool closed_and_drained() const;
  bool closed() const;

  // Where a reader gives handled events back and a backend takes them to fill again.
  EventPool& pool() { return pool_; }

  void count_dropped(uint64_t n) { dropped_ += n; }
  uint64_t captured() const { return captured_; }
  uint64_t dropped() const { return dropped_; }
  // Batches waiting for the reader (full ones, and the one being filled if it has events).
  size_t pending_batches() const;

 private:
  // With the lock held: queues the current batch once full; true if the reader must be woken.
  bool rotate_if_full();

  const size_t batch_size_;
  const size_t max_pending_batches_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<SyscallEvent> current_;
  std::deque<std::vector<SyscallEvent>> full_;
  bool closed_ = false;
  std::atomic<uint64_t> captured_{0};
  std::atomic<uint64_t> dropped_{0};
  EventPool pool_;
};

}  // namespace da
