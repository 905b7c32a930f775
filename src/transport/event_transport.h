#pragma once
// Where event batches go between capture and detection. One interface, one file per backend:
// in-process (default, needs no service) and Redis Streams (agents on many hosts feeding a pool
// of detectors). Only a transport that leaves the process encodes (msgpack, wire_format.h): the
// in-process queue hands the batch itself over, so no event is encoded or decoded on the way.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "transport/wire_format.h"

namespace da {

struct TransportMessage {
  std::string id;     // backend's id (Redis stream entry id); empty in-process
  std::string bytes;  // one msgpack-encoded EventBatch, when it came from outside the process
  std::optional<EventBatch> batch;  // the batch itself, when it never left the process
  uint32_t shard = 0;               // the stream shard it came from (stream_shards.h)
};

class BatchPublisher {
 public:
  virtual ~BatchPublisher() = default;
  // Hands one batch to the transport. On success the transport may have taken the batch's
  // contents (moved out). An Error means it was not accepted (transport down or full) and the
  // batch is untouched: the caller keeps it and retries, or counts it dropped.
  virtual Status publish(EventBatch& batch) = 0;
  virtual std::string describe() const = 0;
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Waits up to `timeout` for batches; an empty vector on timeout.
  virtual Result<std::vector<TransportMessage>> poll(std::chrono::milliseconds timeout) = 0;
  // Marks messages processed (consumer groups); a no-op where the transport has no such notion.
  virtual Status acknowledge(const std::vector<TransportMessage>&) { return ok_status(); }
  virtual std::string describe() const = 0;
};

}  // namespace da
