#include "transport/inprocess_queue.h"

namespace da {

Status InProcessQueue::publish(EventBatch& batch) {
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    if (batches_.size() >= capacity_) return Error{"in-process queue full"};
    was_empty = batches_.empty();
    batches_.push_back(std::move(batch));
  }
  // The reader takes every waiting batch per wake-up: it needs waking only for the first.
  if (was_empty) ready_.notify_one();
  return ok_status();
}

Result<std::vector<TransportMessage>> InProcessQueue::poll(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !batches_.empty(); });
  std::vector<TransportMessage> out;
  out.reserve(batches_.size());
  while (!batches_.empty()) {
    out.push_back({{}, {}, std::move(batches_.front())});
    batches_.pop_front();
  }
  return out;
}

size_t InProcessQueue::size() const {
  std::lock_guard lock(mutex_);
  return batches_.size();
}

}  // namespace da
