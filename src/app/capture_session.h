#pragma once
// One capture pipeline, as `run`, `agent` and `trace` share it:
//   backend -> EventChannel -> BatchShipper -> transport -> EventConsumer -> handlers
// Built in order, torn down in reverse so no event in flight is lost.
#include <atomic>
#include <map>
#include <memory>
#include <optional>

#include "app/commands.h"
#include "core/console.h"
#include "app/container_monitor.h"
#include "app/detection_pipeline.h"
#include "app/metrics_families.h"
#include "transport/event_consumer.h"
#include "capture/backend_factory.h"
#include "capture/capture_backend.h"
#include "transport/batch_shipper.h"
#include "transport/event_transport.h"
#include "transport/inprocess_queue.h"

namespace da {

class CaptureSession {
 public:
  // consume: also read the events back (run, trace); false for a capture-only agent.
  static Result<std::unique_ptr<CaptureSession>> create(const CaptureOptions& options,
                                                        bool consume, Console& console);
  ~CaptureSession();

  // Valid after start().
  CaptureBackend& backend() { return *backend_; }
  // The backend as a host-command tracer (`trace`); nullptr unless it is one (ptrace).
  CommandTracer* command_tracer() { return command_tracer_; }
  ContainerMonitor& monitor() { return monitor_; }
  EventConsumer* consumer() { return consumer_.get(); }
  Status start();
  // Called about once a second: events lost since the last call (capture backend or full
  // queue) are logged and, when detection runs, raised as an alert — never silent.
  void report_losses();
  // Stops capture (detaching), ships and consumes what is left; returns the summary line.
  std::string finish();
  // After finish(): false if detection could not write a profile's changes.
  bool profiles_saved() const { return !detection_ || detection_->profiles_saved(); }
  // For /metrics, from any thread, once started.
  CaptureCounters counters() const;
  DetectionPipeline* detection() { return detection_.get(); }

 private:
  CaptureSession(const CaptureOptions& options, Console& console);

  CaptureOptions options_;
  Console& console_;
  ContainerMonitor monitor_;
  EventChannel channel_;
  std::unique_ptr<InProcessQueue> inprocess_;
  std::unique_ptr<BatchPublisher> redis_publisher_;
  std::unique_ptr<BatchSource> redis_source_;
  std::unique_ptr<BatchShipper> shipper_;
  std::unique_ptr<EventConsumer> consumer_;
  std::vector<std::unique_ptr<EventHandler>> handlers_;
  class CountingHandler* counter_ = nullptr;
  std::unique_ptr<DetectionPipeline> detection_;
  BackendKind backend_kind_ = BackendKind::kAuto;  // asked for
  std::unique_ptr<CaptureBackend> backend_;
  CommandTracer* command_tracer_ = nullptr;  // backend_ itself, when it traces commands
  std::atomic<uint64_t> backend_lost_{0};  // the backend's own losses, as last read
  std::atomic<uint64_t> backend_judged_{0};  // calls it judged in the kernel, as last read
  bool finished_ = false;
  uint64_t reported_losses_ = 0;
};

}  // namespace da
