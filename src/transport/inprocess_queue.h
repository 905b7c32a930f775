#pragma once
// The default transport: a bounded in-memory queue between the capture and detection threads of
// one process. Bounded so a stalled consumer cannot eat the host's memory; a full queue refuses
// the batch and the caller counts it dropped. Batches pass as they are, never encoded.
#include <condition_variable>
#include <deque>
#include <mutex>

#include "transport/event_transport.h"

namespace da {

class InProcessQueue final : public BatchPublisher, public BatchSource {
 public:
  explicit InProcessQueue(size_t capacity_batches = 4096) : capacity_(capacity_batches) {}

  Status publish(EventBatch& batch) override;
  Result<std::vector<TransportMessage>> poll(std::chrono::milliseconds timeout) override;
  std::string describe() const override { return "in-process queue"; }
  size_t size() const;

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<EventBatch> batches_;
};

}  // namespace da
