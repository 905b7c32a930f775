#include "core/event_pool.h"

#include <algorithm>
#include <iterator>

namespace da {

void EventPool::give_back(std::vector<SyscallEvent>&& events) {
  if (events.empty()) return;
  std::vector<SyscallEvent> excess;  // freed outside the lock
  {
    std::lock_guard lock(mutex_);
    if (spare_ + events.size() > max_events_) {
      excess = std::move(events);
    } else {
      spare_ += events.size();
      batches_.push_back(std::move(events));
    }
  }
}

std::vector<SyscallEvent> EventPool::take_batch() {
  std::lock_guard lock(mutex_);
  if (batches_.empty()) return {};
  std::vector<SyscallEvent> out = std::move(batches_.back());
  batches_.pop_back();
  spare_ -= out.size();
  return out;
}

size_t EventPool::spare() const {
  std::lock_guard lock(mutex_);
  return spare_;
}

SyscallEvent& EventBurst::next() {
  if (filled_ == events_.size()) {
    if (filled_ == 0) events_ = pool_.take_batch();
    if (filled_ == events_.size()) {
      // Grown once to a whole batch: growing by doubling moved every filled event again.
      if (events_.capacity() == events_.size()) events_.reserve(std::max(events_.size() * 2, batch_size_));
      events_.emplace_back();
    }
  }
  return events_[filled_++];
}

std::vector<SyscallEvent> EventBurst::take() {
  std::vector<SyscallEvent> out = std::move(events_);
  events_.clear();
  if (filled_ < out.size()) {
    // Spares beyond the filled ones: moving keeps their buffers for the next burst, in room for
    // a whole batch (the burst then grows without moving them again).
    events_.reserve(std::max(batch_size_, out.size() - filled_));
    events_.assign(std::make_move_iterator(out.begin() + static_cast<std::ptrdiff_t>(filled_)),
                   std::make_move_iterator(out.end()));
    out.resize(filled_);
  }
  filled_ = 0;
  return out;
}

}  // namespace da
