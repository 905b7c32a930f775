#pragma once
// Takes batches from the capture side's EventChannel, adds what a detector elsewhere needs (host,
// agent, sequence, container metadata, losses) and publishes them to the transport on its own
// thread, so encoding and network latency never stall capture.
// A transport that is down is retried with backoff; what cannot be delivered is counted dropped.
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "core/event_channel.h"
#include "core/container_meta.h"
#include "transport/event_transport.h"

namespace da {

struct ShipperStats {
  uint64_t batches_sent = 0;
  uint64_t events_sent = 0;
  uint64_t events_dropped = 0;
};

class BatchShipper {
 public:
  BatchShipper(EventChannel& channel, BatchPublisher& publisher, std::string host,
               std::string agent_id, std::function<void(const std::string&)> warn)
      : channel_(channel), publisher_(publisher), host_(std::move(host)),
        agent_id_(std::move(agent_id)), warn_(std::move(warn)) {}
  ~BatchShipper() { finish(); }

  using ContainerLookup = std::function<std::optional<ContainerMeta>(const std::string& id)>;
  // Where each batch's container metadata comes from (set before start()).
  void set_container_lookup(ContainerLookup lookup) { lookup_ = std::move(lookup); }
  // What the capture backend itself lost so far (e.g. ring buffer overruns), carried in every
  // batch with the queue's drops so detectors elsewhere hear of losses too.
  void set_backend_losses(std::function<uint64_t()> losses) { backend_losses_ = std::move(losses); }

  void start();
  // Ships everything still in the (closed) channel, then ends the thread.
  void finish();
  ShipperStats stats() const {
    return {batches_sent_.load(), events_sent_.load(), events_dropped_.load()};
  }

 private:
  void loop();
  void ship(std::vector<SyscallEvent>&& events);

  EventChannel& channel_;
  BatchPublisher& publisher_;
  std::string host_;
  std::string agent_id_;
  std::function<void(const std::string&)> warn_;
  ContainerLookup lookup_;
  std::function<uint64_t()> backend_losses_;
  uint64_t sequence_ = 0;
  std::atomic<uint64_t> batches_sent_{0}, events_sent_{0}, events_dropped_{0};
  std::thread thread_;
};

}  // namespace da
