#include "app/metrics_families.h"

#include "app/metrics_server.h"
#include "detect/profile.h"

namespace da {

using prometheus::MetricType;

namespace {

// A family with one sample, or several samples that differ only by labels.
void add(std::vector<prometheus::MetricFamily>& out, const std::string& name, const std::string& help,
         MetricType type, const std::vector<std::pair<double, std::map<std::string, std::string>>>& samples) {
  auto family = metric_family(name, help, type);
  for (const auto& [value, labels] : samples) add_sample(family, value, labels);
  out.push_back(std::move(family));
}

double number(uint64_t n) { return static_cast<double>(n); }

}  // namespace

void append_capture_metrics(std::vector<prometheus::MetricFamily>& out, const CaptureCounters& c) {
  add(out, "docker_anomalies_events_captured_total", "Syscall events captured from monitored containers.",
      MetricType::Counter, {{number(c.captured), {{"backend", c.backend}}}});
  add(out, "docker_anomalies_events_judged_in_kernel_total",
      "Captured syscall events of stable programs judged in the kernel and never sent (eBPF).",
      MetricType::Counter, {{number(c.judged_in_kernel), {{"backend", c.backend}}}});
  add(out, "docker_anomalies_events_lost_total",
      "Syscall events not captured or not shipped, by where they were lost.", MetricType::Counter,
      {{number(c.lost_by_backend), {{"backend", c.backend}, {"where", "backend"}}},
       {number(c.dropped_queue_full), {{"backend", c.backend}, {"where", "queue"}}},
       {number(c.events_not_shipped), {{"backend", c.backend}, {"where", "transport"}}}});
  add(out, "docker_anomalies_queue_batches", "Batches of events waiting for the shipper.", MetricType::Gauge,
      {{number(c.batches_pending), {}}});
  add(out, "docker_anomalies_batches_shipped_total", "Batches handed to the transport.", MetricType::Counter,
      {{number(c.batches_shipped), {{"transport", c.transport}}}});
  add(out, "docker_anomalies_events_shipped_total", "Events handed to the transport.", MetricType::Counter,
      {{number(c.events_shipped), {{"transport", c.transport}}}});
  add(out, "docker_anomalies_events_consumed_total", "Events read back and handed to detection.",
      MetricType::Counter, {{number(c.events_consumed), {}}});
  add(out, "docker_anomalies_containers_monitored", "Containers monitored now.", MetricType::Gauge,
      {{number(c.containers), {}}});
}

void append_shard_metrics(std::vector<prometheus::MetricFamily>& out, const ShardSourceStats& s) {
  add(out, "docker_anomalies_shards_held", "Stream shards this detector holds now.", MetricType::Gauge,
      {{number(s.held.size()), {}}});
  add(out, "docker_anomalies_detectors_live", "Detectors of the stream alive as this one last saw.",
      MetricType::Gauge, {{static_cast<double>(s.live_detectors), {}}});
  add(out, "docker_anomalies_shard_leases_total", "Shard leases taken, handed back, and lost to another detector.",
      MetricType::Counter,
      {{number(s.taken), {{"change", "taken"}}}, {number(s.handed_back), {{"change", "handed_back"}}},
       {number(s.lost), {{"change", "lost"}}}});
  add(out, "docker_anomalies_shard_checkpoints_total", "Checkpoints saved (profiles and position).",
      MetricType::Counter, {{number(s.checkpoints), {}}});
  add(out, "docker_anomalies_reclaimed_entries_total",
      "Entries claimed from a previous holder: handled again, or skipped as already checkpointed.",
      MetricType::Counter, {{number(s.reclaimed), {{"outcome", "handled"}}}, {number(s.skipped), {{"outcome", "skipped"}}}});
}

void append_detection_metrics(std::vector<prometheus::MetricFamily>& out, const DetectionMetrics& d) {
  auto by_state = metric_family("docker_anomalies_profiles", "Image profiles by state.", MetricType::Gauge);
  std::map<std::string, int> states{{"learning", 0}, {"stable", 0}};
  for (const auto& p : d.profiles) ++states[state_name(p.state)];
  for (const auto& [state, n] : states) add_sample(by_state, n, {{"state", state}});
  out.push_back(std::move(by_state));
  auto progress = metric_family("docker_anomalies_profile_learning_progress",
                                "Learning progress of each image's profile (1 when stable).", MetricType::Gauge);
  auto novelty = metric_family("docker_anomalies_profile_novelty_estimate",
                               "Estimated probability that the next call, file or peer is new, for the "
                               "least converged active program of the image (learning stops at the "
                               "configured level).",
                               MetricType::Gauge);
  for (const auto& p : d.profiles) {
    const std::map<std::string, std::string> labels{{"image", p.image}, {"image_id", p.image_id.substr(0, 19)},
                                                    {"state", state_name(p.state)}};
    add_sample(progress, p.progress, labels);
    add_sample(novelty, p.novelty_estimate, labels);
  }
  out.push_back(std::move(progress));
  out.push_back(std::move(novelty));
  auto alerts = metric_family("docker_anomalies_alerts_total", "Alerts raised, by kind and severity.",
                              MetricType::Counter);
  for (const auto& [key, n] : d.alerts)
    add_sample(alerts, static_cast<double>(n), {{"kind", key.first}, {"severity", key.second}});
  out.push_back(std::move(alerts));
  auto delivered = metric_family("docker_anomalies_alert_deliveries_total",
                                 "Alerts delivered by each output.", MetricType::Counter);
  auto failed = metric_family("docker_anomalies_alert_delivery_failures_total",
                              "Alerts an output gave up on or dropped (full queue or outbox).", MetricType::Counter);
  auto waiting = metric_family("docker_anomalies_alert_outbox",
                               "Alerts waiting to be delivered by each output.", MetricType::Gauge);
  for (const auto& s : d.sinks) {
    add_sample(delivered, static_cast<double>(s.delivered), {{"sink", s.name}});
    add_sample(failed, static_cast<double>(s.failed), {{"sink", s.name}});
    add_sample(waiting, static_cast<double>(s.pending), {{"sink", s.name}});
  }
  out.push_back(std::move(delivered));
  out.push_back(std::move(failed));
  out.push_back(std::move(waiting));
}

}  // namespace da
