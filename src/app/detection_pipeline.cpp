#include "app/detection_pipeline.h"

#include "alert/console_sink.h"
#include "alert/json_lines_sink.h"

namespace da {

DetectorConfig detector_config(const DetectionOptions& o) {
  DetectorConfig c;
  c.learning.min_seconds = o.learn_min_seconds;
  c.learning.quiet_seconds = o.learn_quiet_seconds;
  c.seed_from_previous_tag = o.seed_from_previous_tag;
  c.min_threshold = o.min_threshold;
  c.window = o.window;
  c.progress_interval_seconds = o.progress_interval_seconds;
  return c;
}

DetectionPipeline::DetectionPipeline(const DetectionOptions& options, Console& console)
    : console_(console), store_(options.state_dir),
      dispatcher_([&console](const std::string& m) { console.error(m); }) {}

Result<std::unique_ptr<DetectionPipeline>> DetectionPipeline::create(
    const DetectionOptions& options, Console& console) {
  std::unique_ptr<DetectionPipeline> p(new DetectionPipeline(options, console));
  if (auto s = p->store_.prepare(); !s)
    return Error{s.error().message + " (set --state-dir to a writable directory)"};
  p->dispatcher_.add_sink(std::make_unique<ConsoleSink>(console));
  if (!options.alert_json.empty()) {
    auto sink = JsonLinesSink::open(options.alert_json);
    if (!sink) return sink.error();
    p->dispatcher_.add_sink(std::move(*sink));
  }
  DetectionPipeline* self = p.get();
  p->detector_ = std::make_unique<Detector>(
      detector_config(options), &p->store_,
      [self](const Anomaly& a) { self->dispatcher_.publish(a); },
      [&console](const std::string& m) { console.line(m); });
  return p;
}

void DetectionPipeline::on_event(const SyscallEvent& event, const EventContext& context) {
  detector_->observe(event, context.host, context.container);
}

void DetectionPipeline::on_tick() { detector_->tick(); }

std::string DetectionPipeline::finish() {
  if (finished_) return {};
  finished_ = true;
  detector_->save_all();
  dispatcher_.finish();
  std::string summary = std::to_string(detector_->anomalies_reported()) + " anomalies reported";
  if (detector_->anomalies_folded())
    summary += " (" + std::to_string(detector_->anomalies_folded()) +
               " lesser novelties of new programs folded into their program's alert)";
  for (const auto& s : dispatcher_.stats())
    if (s.failed) summary += "; " + std::to_string(s.failed) + " not delivered to " + s.name;
  for (const auto& p : detector_->summaries())
    summary += "\n  profile " + p.image + ": " + state_name(p.state) + ", " + p.progress_text;
  return summary;
}

}  // namespace da
