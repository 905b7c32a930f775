#pragma once
// Where encoded event batches go between capture and detection. One interface, one file per
// backend: in-process (default, needs no service) and Redis Streams (agents on many hosts
// feeding a pool of detectors).
#include <chrono>
#include <string>
#include <vector>

#include "core/result.h"

namespace da {

struct TransportMessage {
  std::string id;     // backend's id (Redis stream entry id); empty in-process
  std::string bytes;  // one msgpack-encoded EventBatch
};

class BatchPublisher {
 public:
  virtual ~BatchPublisher() = default;
  // Hands one batch to the transport. An Error means it was not accepted (transport down or
  // full): the caller keeps it and retries, or counts it dropped.
  virtual Status publish(const std::string& bytes) = 0;
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
