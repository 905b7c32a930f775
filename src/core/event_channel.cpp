#include "core/event_channel.h"

namespace da {

size_t EventChannel::pending_batches() const {
  std::lock_guard lock(mutex_);
  return full_.size() + (current_.empty() ? 0 : 1);
}

void EventChannel::push(SyscallEvent&& event) {
  captured_.fetch_add(1, std::memory_order_relaxed);
  bool notify = false;
  {
    std::lock_guard lock(mutex_);
    if (full_.size() >= max_pending_batches_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (current_.empty()) current_.reserve(batch_size_);
    current_.push_back(std::move(event));
    notify = rotate_if_full();
  }
  if (notify) ready_.notify_one();
}

void EventChannel::push_all(std::vector<SyscallEvent>&& events) {
  if (events.empty()) return;
  captured_.fetch_add(events.size(), std::memory_order_relaxed);
  bool notify = false;
  {
    std::lock_guard lock(mutex_);
    if (full_.size() >= max_pending_batches_) {
      dropped_.fetch_add(events.size(), std::memory_order_relaxed);
      return;
    }
    if (current_.empty()) {
      current_ = std::move(events);
    } else {
      current_.insert(current_.end(), std::make_move_iterator(events.begin()),
                      std::make_move_iterator(events.end()));
    }
    notify = rotate_if_full();
  }
  if (notify) ready_.notify_one();
}

bool EventChannel::rotate_if_full() {
  if (current_.size() < batch_size_) return false;
  // The reader is woken only when the first full batch appears: while batches are waiting it
  // has been woken already and takes them all before it sleeps again.
  const bool first = full_.empty();
  full_.push_back(std::move(current_));
  // Left without a buffer: a burst (push_all) becomes the next batch as it is, and push()
  // reserves one when it starts a batch.
  current_ = {};
  return first;
}

std::vector<SyscallEvent> EventChannel::take(std::chrono::milliseconds max_wait) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, max_wait, [&] { return !full_.empty() || closed_; });
  std::vector<SyscallEvent> out;
  if (!full_.empty()) {
    out = std::move(full_.front());
    full_.pop_front();
  } else if (!current_.empty()) {
    out.swap(current_);
  }
  return out;
}

void EventChannel::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

bool EventChannel::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

bool EventChannel::closed_and_drained() const {
  std::lock_guard lock(mutex_);
  return closed_ && full_.empty() && current_.empty();
}

}  // namespace da
