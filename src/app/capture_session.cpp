#include "app/capture_session.h"

#include <unistd.h>

#include <random>

#include "syscalls/event_json.h"
#include "core/host_name.h"
#include "core/json_text.h"
#include "docker/docker_api.h"
#include "transport/inprocess_queue.h"
#include "transport/redis_stream.h"

namespace da {

class CountingHandler final : public EventHandler {
 public:
  void on_event(const SyscallEvent& e, const EventContext&) override {
    // Events come in runs of one container: the map is searched only when the container changes.
    if (!last_ || e.container_id != last_id_) {
      last_ = &per_container_[e.container_id];
      last_id_ = e.container_id;
    }
    ++*last_;
  }
  const std::map<std::string, uint64_t>& counts() const { return per_container_; }

 private:
  std::map<std::string, uint64_t> per_container_;  // only touched by the consumer thread
  uint64_t* last_ = nullptr;  // map nodes stay put: safe to keep
  std::string last_id_;
};

namespace {

class PrintingHandler final : public EventHandler {
 public:
  explicit PrintingHandler(Console& console) : console_(console) {}
  void on_event(const SyscallEvent& e, const EventContext&) override {
    console_.line(json_text(event_to_json(e)));
  }

 private:
  Console& console_;
};

std::string new_agent_id() {
  std::random_device rd;
  return host_name() + ":" + std::to_string(getpid()) + ":" + std::to_string(rd() % 100000);
}

}  // namespace

CaptureSession::CaptureSession(const CaptureOptions& options, Console& console)
    : options_(options), console_(console), monitor_(console), channel_(options.batch_size) {}

CaptureSession::~CaptureSession() { finish(); }

Result<std::unique_ptr<CaptureSession>> CaptureSession::create(const CaptureOptions& options,
                                                               bool consume, Console& console) {
  std::unique_ptr<CaptureSession> s(new CaptureSession(options, console));
  auto warn = [&console](const std::string& m) { console.warn(m); };
  BatchPublisher* publisher = nullptr;
  BatchSource* source = nullptr;
  if (options.redis_url.empty()) {
    s->inprocess_ = std::make_unique<InProcessQueue>();
    publisher = s->inprocess_.get();
    source = s->inprocess_.get();
  } else {
    auto url = redis_url_with_credentials(options.redis_url, options.redis_credentials);
    if (!url) return url.error();
    if (consume && options.shards > 1)
      return Error{"run reads its own events back from one stream: --shards is for agent and detect",
                   ErrorCause::kInvalid};
    auto pub = RedisStreamPublisher::create(*url, options.stream, options.stream_max_length, options.shards);
    if (!pub) return pub.error();
    s->redis_publisher_ = std::move(*pub);
    publisher = s->redis_publisher_.get();
    if (consume) {
      RedisReadOptions read;
      read.stream = options.stream;
      read.start_id = "$";  // this process's own events, not the stream's history
      auto src = RedisStreamSource::create(*url, read);
      if (!src) return src.error();
      s->redis_source_ = std::move(*src);
      source = s->redis_source_.get();
    }
  }
  // In a fleet, this host goes by its node name, in its alerts too.
  s->shipper_ = std::make_unique<BatchShipper>(s->channel_, *publisher,
                                               options.fleet_node.empty() ? host_name() : options.fleet_node,
                                               new_agent_id(), warn);
  CaptureSession* session = s.get();
  // Read from the value report_losses() refreshes every second: asking a backend for its stats
  // on every batch would interrupt the ptrace tracer each time.
  s->shipper_->set_backend_losses([session] { return session->backend_lost_.load(); });
  ContainerMonitor* monitor = &s->monitor_;
  s->shipper_->set_container_lookup([monitor](const std::string& id) { return monitor->metadata(id); });
  if (consume) {
    s->consumer_ = std::make_unique<EventConsumer>(*source, warn);
    s->consumer_->recycle_into(s->channel_.pool());
    auto counter = std::make_unique<CountingHandler>();
    s->counter_ = counter.get();
    s->consumer_->add_handler(*counter);
    s->handlers_.push_back(std::move(counter));
    if (options.detect) {
      auto detection = DetectionPipeline::create(options.detection, console);
      if (!detection) return detection.error();
      s->detection_ = std::move(*detection);
      s->consumer_->add_handler(*s->detection_);
      if (!options.fleet_url.empty()) {
        auto url = redis_url_with_credentials(options.fleet_url, options.redis_credentials);
        if (!url) return Error{url.error().message, ErrorCause::kInvalid};
        auto link = FleetLink::create(*url);
        if (!link) return link.error();
        console.info("Sharing learning with the " + (*link)->describe() + " as " + options.fleet_node);
        s->detection_->share_with_fleet(std::make_unique<FleetSync>(
            std::move(*link), options.fleet_node, std::chrono::seconds(options.fleet_sync_seconds), console));
      }
    }
    if (options.print_syscalls) {
      s->handlers_.push_back(std::make_unique<PrintingHandler>(console));
      s->consumer_->add_handler(*s->handlers_.back());
    }
  }
  auto kind = parse_backend_kind(options.backend);
  if (!kind)
    return Error{"unknown capture backend '" + options.backend + "' (available: auto, ebpf, ptrace)"};
  s->backend_kind_ = *kind;
  return s;
}

Status CaptureSession::start() {
  auto started = start_capture_backend(backend_kind_, channel_, monitor_);
  if (!started) return started.error();
  backend_ = std::move(started->backend);
  command_tracer_ = started->command_tracer;
  // The hook is named: its cost is paid by every syscall on the host (docs/BENCHMARKS.md).
  console_.info(started->kind == BackendKind::kEbpf
                     ? "Capture backend: ebpf on the raw_syscalls tracepoints (" + started->reason + ")"
                     : "Capture backend: ptrace (" + started->reason + ")");
  monitor_.set_backend(backend_.get());
  if (detection_ && started->judge) {
    // Judged calls never reach a stream: only a detector in this process can take part.
    if (!inprocess_)
      console_.info("Syscall sequences are judged in user space: events go through Redis");
    else if (!options_.judge_in_kernel)
      console_.info("Syscall sequences are judged in user space (judge_in_kernel is off)");
    else if (options_.print_syscalls)
      console_.info("Syscall sequences are judged in user space: --print-syscalls prints every call");
    else
      detection_->judge_in_kernel(started->judge);
  }
  shipper_->start();
  if (consumer_) consumer_->start();
  return ok_status();
}

CaptureCounters CaptureSession::counters() const {
  CaptureCounters c;
  c.backend = backend_ ? backend_->name() : "none";
  c.transport = redis_publisher_ ? "redis" : "in-process";
  c.captured = channel_.captured() + backend_judged_;
  c.judged_in_kernel = backend_judged_;
  const ShipperStats shipped = shipper_ ? shipper_->stats() : ShipperStats{};
  // The channel counts the shipper's give-ups among its drops; reported apart here.
  c.dropped_queue_full = channel_.dropped() - std::min(channel_.dropped(), shipped.events_dropped);
  c.lost_by_backend = backend_lost_;
  c.batches_pending = channel_.pending_batches();
  c.batches_shipped = shipped.batches_sent;
  c.events_shipped = shipped.events_sent;
  c.events_not_shipped = shipped.events_dropped;
  c.events_consumed = consumer_ ? consumer_->events() : 0;
  c.containers = monitor_.containers().size();
  return c;
}

void CaptureSession::report_losses() {
  if (!backend_ || finished_) return;
  const CaptureStats stats = backend_->stats();
  backend_lost_ = stats.lost_events;
  backend_judged_ = stats.judged_in_kernel;
  const uint64_t total = stats.lost_events + channel_.dropped();
  if (total <= reported_losses_) return;
  const uint64_t fresh = total - reported_losses_;
  reported_losses_ = total;
  std::string detail = std::to_string(fresh) + " syscalls were not captured (" +
                       std::to_string(stats.lost_events) + " lost by the " + backend_->name() +
                       " backend, " + std::to_string(channel_.dropped()) + " dropped by a full queue";
  if (!stats.lost_per_cpu.empty()) {
    detail += "; per CPU:";
    for (size_t cpu = 0; cpu < stats.lost_per_cpu.size(); ++cpu)
      if (stats.lost_per_cpu[cpu]) detail += " " + std::to_string(cpu) + "=" + std::to_string(stats.lost_per_cpu[cpu]);
  }
  detail += ")";
  // Logged here; the alert comes from the detector side, which learns of it from the "lost"
  // count every batch carries — the same way for `run` and for agents feeding `detect`.
  console_.warn(detail);
}

std::string CaptureSession::finish() {
  if (finished_) return {};
  finished_ = true;
  CaptureStats stats;
  if (backend_) {
    backend_->stop();
    stats = backend_->stats();
  }
  // create() may have failed before the shipper existed (a bad --redis URL): nothing to flush.
  if (shipper_) shipper_->finish();
  if (consumer_) consumer_->finish();
  std::string summary = "captured " + std::to_string(channel_.captured() + stats.judged_in_kernel) + " syscalls" +
                        (stats.judged_in_kernel ? " (" + std::to_string(stats.judged_in_kernel) + " judged in the kernel)" : "") +
                        ", dropped " + std::to_string(channel_.dropped() + stats.lost_events);
  if (counter_) {
    for (const auto& [id, n] : counter_->counts())
      summary += "\n  " + (id.empty() ? std::string("host") : short_id(id)) + ": " +
                 std::to_string(n) + " syscalls";
  }
  if (detection_) summary += "\n" + detection_->finish();
  return summary;
}

}  // namespace da
