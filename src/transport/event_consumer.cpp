#include "transport/event_consumer.h"

#include "transport/wire_format.h"

namespace da {

long EventConsumer::poll_once(std::chrono::milliseconds timeout, uint64_t max_events) {
  auto messages = source_.poll(timeout);
  if (!messages) {
    warn_(messages.error().message);
    return -1;
  }
  for (auto& m : *messages) {
    // In-process batches arrive as they are; only those from outside the process are decoded.
    Result<EventBatch> batch = m.batch ? Result<EventBatch>(std::move(*m.batch)) : decode_batch(m.bytes);
    if (!batch) {
      ++malformed_;
      warn_("skipping " + (m.id.empty() ? std::string("a batch") : "entry " + m.id) + ": " +
            batch.error().message);
      continue;
    }
    for (auto& [id, meta] : batch->containers) containers_[id] = std::move(meta);
    if (batch->lost) {
      uint64_t& seen = lost_by_agent_[batch->agent_id];
      if (batch->lost > seen) {
        for (auto* h : handlers_) h->on_capture_loss(batch->host, batch->agent_id, batch->lost - seen);
        seen = batch->lost;
      }
    }
    static const ContainerMeta kUnknown;
    const std::string* last_id = nullptr;
    const ContainerMeta* meta = &kUnknown;
    for (const auto& e : batch->events) {
      if (max_events && events_ >= max_events) break;
      if (!last_id || *last_id != e.container_id) {
        last_id = &e.container_id;
        auto it = containers_.find(e.container_id);
        meta = it == containers_.end() ? &kUnknown : &it->second;
      }
      const EventContext context{batch->host, *meta};
      for (auto* h : handlers_) h->on_event(e, context);
      ++events_;
    }
    if (pool_) pool_->give_back(std::move(batch->events));
  }
  for (auto* h : handlers_) h->on_tick();
  if (auto s = source_.acknowledge(*messages); !s) warn_(s.error().message);
  return static_cast<long>(messages->size());
}

void EventConsumer::start() {
  thread_ = std::thread([this] {
    while (true) {
      long got = poll_once(std::chrono::milliseconds(100), 0);
      // Once draining, one empty poll means everything published has been read; a transport
      // that fails while draining will not recover in time either.
      if (got <= 0 && draining_) return;
      if (got < 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });
}

void EventConsumer::finish() {
  draining_ = true;
  if (thread_.joinable()) thread_.join();
}

Result<uint64_t> EventConsumer::run_inline(uint64_t max_events, bool stop_when_idle,
                                           const std::atomic<bool>& stop) {
  while (!stop && !(max_events && events_ >= max_events)) {
    long got = poll_once(std::chrono::milliseconds(stop_when_idle ? 200 : 1000), max_events);
    if (got < 0) return Error{"cannot read events"};
    if (got == 0 && stop_when_idle) break;
  }
  return events_.load();
}

}  // namespace da
