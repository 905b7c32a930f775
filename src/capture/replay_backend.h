#pragma once
// Feeds recorded events into the pipeline as a live backend would: from JSON lines as
// `run --print-syscalls` and `dump` print them, or from memory. It needs no root, no kernel
// hook and no Docker, so the whole pipeline (capture -> transport -> detect -> alert) can be
// tested anywhere. The recording names its containers; add/remove are accepted and ignored.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "capture/capture_backend.h"

namespace da {

class ReplayBackend final : public CaptureBackend {
 public:
  ReplayBackend(EventChannel& channel, std::vector<SyscallEvent> events)
      : channel_(channel), events_(std::move(events)) {}
  ~ReplayBackend() override { stop(); }

  // Reads a recording; a line that is not an event is an error naming the line.
  static Result<std::vector<SyscallEvent>> load(const std::string& path);

  std::string name() const override { return "replay"; }
  Status start() override;
  Status add_container(const ContainerTarget&) override { return ok_status(); }
  void rescan_container(const std::string&) override {}
  void remove_container(const std::string&) override {}
  // Waits until every recorded event is in the channel.
  void wait_replayed();
  void stop() override;
  CaptureStats stats() override { return {}; }
  uint64_t replayed() const { return replayed_; }

 private:
  void replay();

  EventChannel& channel_;
  std::vector<SyscallEvent> events_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> replayed_{0};
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace da
