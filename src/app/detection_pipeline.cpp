#include "app/detection_pipeline.h"

#include <cstdio>

#include "alert/console_sink.h"
#include "alert/sink_factory.h"
#include "core/clock.h"
#include "transport/stream_shards.h"

namespace da {

DetectorConfig detector_config(const DetectionOptions& o) {
  DetectorConfig c;
  c.learning = o.learning;
  c.seed_from_previous_tag = o.seed_from_previous_tag;
  c.threshold.floor = o.min_threshold;
  c.window = o.window;
  c.progress_interval_seconds = o.progress_interval_seconds;
  return c;
}

namespace {

DispatcherSettings dispatcher_settings(const DetectionOptions& o) {
  DispatcherSettings s;
  s.outbox_dir = std::filesystem::path(o.state_dir) / "outbox";
  s.queue_limit = o.alerts.outbox_limit;
  return s;
}

}  // namespace

DetectionPipeline::DetectionPipeline(const DetectionOptions& options, Console& console)
    : console_(console), store_(options.state_dir),
      dispatcher_(std::make_shared<AlertDispatcher>([&console](const std::string& m) { console.tagged(m); },
                                                    dispatcher_settings(options))),
      gate_(options.alerts.noise,
            [this](const Anomaly& a) {
              if (home_ == ProfileHome::kShards && !finished_)
                held_alerts_[shard_of(a.image_id, shards_)].push_back(a);
              else
                deliver(a);
            },
            [&console](const std::string& m) { console.info(m); }) {}

void DetectionPipeline::deliver(const Anomaly& a) {
  count_alert(a);
  dispatcher_->publish(a);  // the consumer thread: the only one that replaces it
}

Result<std::unique_ptr<DetectionPipeline>> DetectionPipeline::create(
    const DetectionOptions& options, Console& console, ProfileHome home, uint32_t shards) {
  std::unique_ptr<DetectionPipeline> p(new DetectionPipeline(options, console));
  p->home_ = home;
  p->shards_ = shards;
  // The state dir holds the alert outbox either way, and the profiles unless they are in Redis.
  if (auto s = p->store_.prepare(); !s)
    return Error{s.error().message + " (set --state-dir to a writable directory)"};
  if (auto s = p->add_sinks(*p->dispatcher_, options.alerts); !s) return s.error();
  DetectionPipeline* self = p.get();
  p->detector_ = std::make_unique<Detector>(
      detector_config(options), home == ProfileHome::kStateDir ? &p->store_ : nullptr,
      [self](const Anomaly& a) { self->gate_.offer(a); },
      [&console](const std::string& m) { console.tagged(m); });
  return p;
}

Status DetectionPipeline::add_sinks(AlertDispatcher& dispatcher, const AlertSettings& alerts) {
  auto sinks = make_alert_sinks(alerts);
  if (!sinks) return sinks.error();
  dispatcher.add_sink(std::make_unique<ConsoleSink>(console_, alerts.console_json));
  for (auto& sink : *sinks) dispatcher.add_sink(std::move(sink));
  return ok_status();
}

std::shared_ptr<AlertDispatcher> DetectionPipeline::dispatcher() const {
  std::lock_guard lock(metrics_mutex_);
  return dispatcher_;
}

void DetectionPipeline::request_reload(const DetectionOptions& options) {
  std::lock_guard lock(metrics_mutex_);
  pending_reload_ = options;
}

void DetectionPipeline::reopen_files() { dispatcher()->reopen_files(); }

void DetectionPipeline::apply_reload(const DetectionOptions& o) {
  // Checked before the old outputs stop: a configuration with errors changes nothing.
  if (auto check = make_alert_sinks(o.alerts); !check) {
    console_.error("reload: " + check.error().message + "; nothing changed");
    return;
  }
  // The old dispatcher delivers what it holds first; what a durable output could not deliver
  // stays in its outbox, which the new dispatcher reads when it adds that output.
  dispatcher_->finish();
  auto fresh = std::make_shared<AlertDispatcher>([this](const std::string& m) { console_.tagged(m); },
                                                 dispatcher_settings(o));
  if (auto s = add_sinks(*fresh, o.alerts); !s) console_.error("reload: " + s.error().message);
  {
    std::lock_guard lock(metrics_mutex_);
    dispatcher_ = std::move(fresh);
  }
  gate_.set_settings(o.alerts.noise);
  detector_->set_threshold_floor(o.min_threshold);
  std::string outputs;
  for (const auto& s : dispatcher_->stats()) outputs += (outputs.empty() ? "" : ", ") + s.name;
  char floor[32];
  std::snprintf(floor, sizeof floor, "%.2f", o.min_threshold);
  console_.info("reloaded the configuration: alert outputs " + outputs + "; noise window " +
                std::to_string(o.alerts.noise.window_seconds) + " s, rate " +
                std::to_string(o.alerts.noise.rate_per_minute) + "/min; threshold floor for profiles stable from now " +
                floor);
}

void DetectionPipeline::on_event(const SyscallEvent& event, const EventContext& context) {
  if (context.container.image_id.empty() && !event.container_id.empty()) {
    awaiting_.hold(event, context.host, std::chrono::steady_clock::now());
    return;
  }
  if (!awaiting_.empty()) {
    // Its metadata has arrived: the events that came first are judged first.
    for (const auto& early : awaiting_.release(event.container_id))
      detector_->observe(early, context.host, context.container);
  }
  detector_->observe(event, context.host, context.container);
}

void DetectionPipeline::on_tick() {
  std::optional<DetectionOptions> reload;
  {
    std::lock_guard lock(metrics_mutex_);
    reload.swap(pending_reload_);
  }
  if (reload) apply_reload(*reload);
  for (const auto& gone : awaiting_.expire(std::chrono::steady_clock::now())) {
    console_.warn(std::to_string(gone.events) + " events of container " +
                   gone.container_id.substr(0, 12) + " came without its name and image; not checked");
  }
  detector_->tick();
  if (fleet_) fleet_->tick(*detector_);
  gate_.tick();
  // The detector is this thread's alone: /metrics reads a copy, refreshed once a second — and
  // only once /metrics has been read, so an agent without --metrics never summarises profiles.
  if (const auto now = std::chrono::steady_clock::now();
      metrics_read_ && now - snapshot_at_ >= std::chrono::seconds(1)) {
    snapshot_at_ = now;
    auto profiles = detector_->summaries();
    std::lock_guard lock(metrics_mutex_);
    profiles_snapshot_ = std::move(profiles);
  }
}

void DetectionPipeline::on_capture_loss(const std::string& host, const std::string& agent,
                                        uint64_t count) {
  // Goes straight to the dispatcher: a loss is never aggregated or rate-limited away.
  const Anomaly loss = capture_loss_anomaly(host, agent, count, unix_nanoseconds());
  count_alert(loss);
  dispatcher_->publish(loss);
}

void DetectionPipeline::adopt_shard(uint32_t shard, ShardState saved) {
  // Whatever we knew of its images is older than what was saved (another detector held it since).
  release_shard(shard);
  for (const auto& [image_id, bytes] : saved) {
    auto profile = decode_profile(bytes);
    if (!profile || profile->image_id != image_id) {
      console_.error("the saved profile of " + image_id + " in shard " + std::to_string(shard) +
                     " is unreadable (" + (profile ? std::string("it is another image's") : profile.error().message) +
                     "); learning that image anew");
      continue;
    }
    detector_->adopt(std::move(profile.value()));
  }
}

ShardState DetectionPipeline::changed_state(uint32_t shard, bool everything) {
  ShardState changed;
  for (const ImageProfile* p : detector_->take_changed(
           [&](const std::string& id) { return shard_of(id, shards_) == shard; }, everything))
    changed.emplace(p->image_id, encode_profile(*p));
  return changed;
}

void DetectionPipeline::checkpoint_committed(uint32_t shard) {
  auto it = held_alerts_.find(shard);
  if (it == held_alerts_.end()) return;
  for (const auto& a : it->second) deliver(a);
  held_alerts_.erase(it);
}

void DetectionPipeline::release_shard(uint32_t shard) {
  held_alerts_.erase(shard);
  detector_->forget([&](const std::string& id) { return shard_of(id, shards_) == shard; });
}

void DetectionPipeline::count_alert(const Anomaly& a) {
  std::lock_guard lock(metrics_mutex_);
  ++alerts_by_kind_[{kind_name(a.kind), severity_name(a.severity)}];
}

DetectionMetrics DetectionPipeline::metrics() const {
  metrics_read_ = true;
  DetectionMetrics m;
  {
    std::lock_guard lock(metrics_mutex_);
    m.profiles = profiles_snapshot_;
    m.alerts = alerts_by_kind_;
  }
  m.sinks = dispatcher()->stats();
  return m;
}

std::string DetectionPipeline::finish() {
  if (finished_) return {};
  finished_ = true;
  const std::vector<std::string> unsaved = detector_->save_all();
  profiles_saved_ = unsaved.empty();
  gate_.flush();
  dispatcher_->finish();
  std::string summary = std::to_string(detector_->anomalies_reported()) + " anomalies reported";
  if (detector_->anomalies_folded())
    summary += " (" + std::to_string(detector_->anomalies_folded()) +
               " lesser novelties of new programs folded into their program's alert)";
  if (detector_->rare_windows_not_reported())
    summary += "; " + std::to_string(detector_->rare_windows_not_reported()) +
               " windows over a sequence threshold not reported: made only of sequences seen while learning";
  awaiting_.give_up_all();
  if (awaiting_.never_identified())
    summary += "; " + std::to_string(awaiting_.never_identified()) +
               " events of containers never identified, not checked";
  if (gate_.aggregated()) summary += "; " + std::to_string(gate_.aggregated()) + " repeats aggregated";
  if (gate_.rate_limited()) summary += "; " + std::to_string(gate_.rate_limited()) + " held back by the rate limit";
  for (const auto& s : dispatcher_->stats()) {
    if (s.failed) summary += "; " + std::to_string(s.failed) + " not delivered to " + s.name;
    if (s.kept) summary += "; " + std::to_string(s.kept) + " kept in the outbox of " + s.name;
  }
  for (const auto& p : detector_->summaries())
    summary += "\n  profile " + p.image + ": " + state_name(p.state) + ", " + p.progress_text;
  for (const auto& line : unsaved) console_.error(line);
  return summary;
}

}  // namespace da
