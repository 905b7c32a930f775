// `fleet --redis URL`: edge mode's centre (issue 13). Hosts run `run --fleet URL`: they detect
// on their own and write what they learn of each image to Redis (transport/fleet_link.h). This
// command merges every host's learning of an image (detect/profile_merge.h) and, once the merged
// profile is ready by the usual learning rules, publishes it stable — every host then judges by
// that one profile. It also reads the hosts' alert stream and sends each incident (the same
// anomaly of the same image, on any host) to the outputs once. Ordered steps with teardown.
#include <unistd.h>

#include <set>
#include <thread>

#include "alert/alert_format.h"
#include "app/command_steps.h"
#include "app/commands.h"
#include "app/detection_pipeline.h"
#include "app/reload.h"
#include "app/signals.h"
#include "core/clock.h"
#include "core/console.h"
#include "core/host_name.h"
#include "detect/profile_merge.h"
#include "transport/fleet_link.h"

namespace da {
namespace {

constexpr const char* kDispatchers = "docker-anomalies-dispatchers";

struct FleetRun {
  const FleetOptions& options;
  Console& console;
  std::unique_ptr<FleetLink> link;
  std::unique_ptr<DetectionPipeline> outputs;  // noise control per image, and the alert outputs
  std::set<std::string> published;             // images whose stable profile is out
  std::string consumer;
  uint64_t alerts_read = 0;
  int exit_code = 0;
};

// One merge round: each image still learning is merged from every host's latest learning, and
// published once the merged profile is ready.
Status merge_round(FleetRun& r) {
  auto images = r.link->images();
  if (!images) return images.error();
  for (const auto& image_id : *images) {
    if (r.published.count(image_id)) continue;
    auto stable = r.link->stable(image_id);
    if (!stable) return stable.error();
    if (*stable) {  // published by an earlier run of this command
      r.published.insert(image_id);
      continue;
    }
    auto contributions = r.link->contributions(image_id);
    if (!contributions) return contributions.error();
    std::vector<ImageProfile> parts;
    std::vector<std::string> nodes;
    for (const auto& [node, bytes] : *contributions) {
      auto p = decode_profile(bytes);
      if (!p || p->image_id != image_id) {
        r.console.warn("fleet: ignoring the learning of " + image_id.substr(0, 19) + " from " + node + ": " +
                       (p ? std::string("it is another image's") : p.error().message));
        continue;
      }
      parts.push_back(std::move(p.value()));
      nodes.push_back(node);
    }
    if (parts.empty()) continue;
    const int64_t now = unix_seconds();
    ImageProfile merged = merge_learning(parts, now);
    // The engine's own rules decide: a detector holding only the merged profile, one tick.
    std::optional<ImageProfile> ready;
    std::vector<std::string> lines;
    Detector judge(detector_config(r.options.detection), nullptr, [](const Anomaly&) {},
                   [&lines](const std::string& m) { lines.push_back(m); });
    judge.adopt(std::move(merged));
    judge.tick();
    for (const ImageProfile* p : judge.take_changed([](const std::string&) { return true; }, true))
      if (p->state == ProfileState::kStable) ready = *p;
    if (!ready) {
      r.console.debug("fleet: " + parts.front().image + " still learning on " + std::to_string(parts.size()) + " hosts");
      continue;
    }
    if (auto s = r.link->publish_stable(image_id, encode_profile(*ready)); !s) return s;
    r.published.insert(image_id);
    std::string hosts;
    for (const auto& n : nodes) hosts += (hosts.empty() ? "" : ", ") + n;
    r.console.info("fleet profile of " + ready->image + " is stable, learned on " + std::to_string(nodes.size()) +
                   (nodes.size() == 1 ? " host (" : " hosts (") + hosts + ")");
    for (size_t i = 1; i < lines.size(); ++i) r.console.tagged(lines[i]);  // [0]: "taken over"
  }
  return ok_status();
}

Status dispatch_round(FleetRun& r) {
  auto alerts = r.link->read_alerts(kDispatchers, r.consumer, 500);
  if (!alerts) return alerts.error();
  for (const auto& a : *alerts) {
    auto j = nlohmann::json::parse(a.json, nullptr, false);
    auto anomaly = j.is_discarded() ? Result<Anomaly>(Error{"not JSON"}) : anomaly_from_json(j);
    if (!anomaly) {
      r.console.warn("fleet: skipping alert " + a.id + ": " + anomaly.error().message);
      continue;
    }
    r.outputs->report(*anomaly);
    ++r.alerts_read;
  }
  r.outputs->on_tick();
  // Acknowledged once handed to the outputs: durable outputs keep them in their outbox.
  return r.link->acknowledge_alerts(kDispatchers, *alerts);
}

const std::vector<CommandStep<FleetRun>>& fleet_steps() {
  static const std::vector<CommandStep<FleetRun>> steps = {
      {"connect to the fleet's Redis",
       [](FleetRun& r) -> Status {
         auto url = redis_url_with_credentials(r.options.redis_url, r.options.redis_credentials);
         if (!url) return Error{url.error().message, ErrorCause::kInvalid};
         auto link = FleetLink::create(*url);
         if (!link) return link.error();
         r.link = std::move(*link);
         r.consumer = r.options.consumer.empty() ? host_name() + ":" + std::to_string(getpid()) : r.options.consumer;
         return ok_status();
       }},
      {"open the alert outputs",
       [](FleetRun& r) -> Status {
         auto outputs = DetectionPipeline::create(r.options.detection, r.console);
         if (!outputs) return outputs.error();
         r.outputs = std::move(*outputs);
         return ok_status();
       },
       [](FleetRun& r) {
         // Its own engine judged nothing (the alerts came judged): only what the outputs did.
         std::string summary = r.outputs->finish();
         const auto first = summary.find("; ");
         summary = first == std::string::npos ? "" : summary.substr(first + 2);
         if (!summary.empty()) r.console.line("outputs: " + summary);
       }},
      {"merge and dispatch until told to stop",
       [](FleetRun& r) -> Status {
         r.console.info("Merging the hosts' learning and dispatching their alerts: " + r.link->describe());
         auto next_merge = std::chrono::steady_clock::now();
         bool failing = false;
         while (true) {
           const Signal signal = wait_for_signal(std::chrono::milliseconds(0));
           if (signal == Signal::kTerminate) break;
           if (signal == Signal::kReload) reload_configuration(r.options.reread, r.outputs.get(), r.console);
           if (signal == Signal::kReopen) reopen_files(r.outputs.get(), r.console);
           Status s = ok_status();
           if (std::chrono::steady_clock::now() >= next_merge) {
             next_merge = std::chrono::steady_clock::now() + std::chrono::seconds(r.options.merge_seconds);
             s = merge_round(r);
           }
           if (s) s = dispatch_round(r);
           if (!s) {
             if (!failing) r.console.warn(s.error().message + " (retrying every 2 s)");
             failing = true;
             std::this_thread::sleep_for(std::chrono::seconds(2));
           } else if (failing) {
             r.console.info("fleet: Redis reachable again");
             failing = false;
           }
         }
         r.console.line("dispatched " + std::to_string(r.alerts_read) + " alerts from the hosts");
         return ok_status();
       }},
  };
  return steps;
}

}  // namespace

int fleet_command(const FleetOptions& options) {
  Console console;
  FleetRun run{options, console};
  return run_steps(run, fleet_steps(), console);
}

}  // namespace da
