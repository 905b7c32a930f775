#include "capture/event_channel.h"

namespace da {

void EventChannel::push(SyscallEvent&& event) {
  captured_.fetch_add(1, std::memory_order_relaxed);
  bool notify = false;
  {
    std::lock_guard lock(mutex_);
    if (full_.size() >= max_pending_batches_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    current_.push_back(std::move(event));
    if (current_.size() >= batch_size_) {
      full_.push_back(std::move(current_));
      current_ = {};
      current_.reserve(batch_size_);
      notify = true;
    }
  }
  if (notify) ready_.notify_one();
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
    current_.reserve(batch_size_);
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
