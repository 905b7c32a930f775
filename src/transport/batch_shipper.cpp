#include "transport/batch_shipper.h"

#include <chrono>


namespace da {

void BatchShipper::start() { thread_ = std::thread([this] { loop(); }); }

void BatchShipper::finish() {
  channel_.close();
  if (thread_.joinable()) thread_.join();
}

void BatchShipper::loop() {
  while (true) {
    auto events = channel_.take(std::chrono::milliseconds(50));
    if (events.empty()) {
      if (channel_.closed_and_drained()) return;
      continue;
    }
    ship(std::move(events));
  }
}

void BatchShipper::ship(std::vector<SyscallEvent>&& events) {
  EventBatch batch{host_, agent_id_, sequence_++, std::move(events), {}, 0};
  batch.lost = channel_.dropped() + (backend_losses_ ? backend_losses_() : 0);
  if (lookup_) {
    const std::string* previous = nullptr;
    for (const auto& e : batch.events) {
      if (e.container_id.empty() || (previous && *previous == e.container_id)) continue;
      previous = &e.container_id;
      if (batch.containers.count(e.container_id)) continue;
      if (auto meta = lookup_(e.container_id)) batch.containers[e.container_id] = *meta;
    }
  }
  const size_t count = batch.events.size();
  auto delay = std::chrono::milliseconds(100);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string last_error;
  while (true) {
    Status s = publisher_.publish(batch);
    if (s) {
      ++batches_sent_;
      events_sent_ += count;
      // A transport that encoded the batch (Redis) left the events here: capture fills them
      // again. (The in-process queue took them; the reader gives them back once handled.)
      channel_.pool().give_back(std::move(batch.events));
      return;
    }
    if (s.error().message != last_error) {
      last_error = s.error().message;
      warn_(last_error + " (retrying)");
    }
    // While this batch waits, capture keeps filling the bounded channel; past 30 s, or when
    // shutting down, the batch is counted lost instead of holding up every later one.
    if (std::chrono::steady_clock::now() > give_up || channel_.closed()) break;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(5000));
  }
  events_dropped_ += count;
  channel_.count_dropped(count);
  warn_("dropped a batch of " + std::to_string(count) + " events: " + last_error);
}

}  // namespace da
