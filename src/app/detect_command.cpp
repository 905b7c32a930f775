// `detect --redis URL`: a detector without capture. Several share the agents' stream: each holds
// some of its shards (transport/redis_shard_source.h), with the profiles of their images, so an
// image is learned and judged whole by one detector. Ordered steps with teardown
// (app/command_steps.h).
#include <unistd.h>

#include "app/command_steps.h"
#include "app/commands.h"
#include "app/detection_pipeline.h"
#include "app/metrics_families.h"
#include "app/metrics_server.h"
#include "app/reload.h"
#include "app/signals.h"
#include "core/console.h"
#include "core/host_name.h"
#include "transport/event_consumer.h"
#include "transport/redis_shard_source.h"

namespace da {
namespace {

struct DetectRun {
  const DetectOptions& options;
  Console& console;
  std::optional<RedisUrl> url;
  ShardedReadOptions read;
  std::unique_ptr<DetectionPipeline> detection;
  std::unique_ptr<RedisShardSource> source;  // hands its shards back before the pipeline ends
  std::unique_ptr<EventConsumer> consumer;  // destroyed before the pipeline it feeds
  std::unique_ptr<MetricsServer> metrics;
  std::atomic<bool> reading{false};  // the last read from Redis worked (for /healthz)
  int exit_code = 0;
};

const std::vector<CommandStep<DetectRun>>& detect_steps() {
  static const std::vector<CommandStep<DetectRun>> steps = {
      {"read the Redis URL",
       [](DetectRun& r) -> Status {
         auto url = redis_url_with_credentials(r.options.redis_url, r.options.redis_credentials);
         if (!url) return Error{url.error().message, ErrorCause::kInvalid};
         r.url = *url;
         return ok_status();
       }},
      {"load the detection engine",
       [](DetectRun& r) -> Status {
         auto detection = DetectionPipeline::create(r.options.detection, r.console,
                                                    ProfileHome::kShards, r.options.shards);
         if (!detection) return detection.error();
         r.detection = std::move(*detection);
         return ok_status();
       },
       [](DetectRun& r) {
         r.console.line(r.detection->finish());  // delivers queued alerts
         if (!r.detection->profiles_saved()) r.exit_code = 1;
       }},
      {"join the detectors of the stream",
       [](DetectRun& r) -> Status {
         r.read.stream = r.options.stream;
         r.read.shards = r.options.shards;
         r.read.group = r.options.group;
         r.read.consumer = r.options.consumer.empty() ? host_name() + ":" + std::to_string(getpid())
                                                      : r.options.consumer;
         r.read.lease = std::chrono::milliseconds(r.options.lease_ms);
         auto source = RedisShardSource::create(*r.url, r.read, *r.detection,
                                                [&r](LogLevel level, const std::string& m) { r.console.log(level, m); });
         if (!source) return source.error();
         r.source = std::move(*source);
         return ok_status();
       },
       [](DetectRun& r) {
         // Checkpointed and handed back now, so the others take the shards over at once
         // instead of after the lease expires.
         if (auto s = r.source->hand_back_all(); !s)
           r.console.warn(s.error().message + "; the shards move to the others when their leases expire");
       }},
      {"serve metrics",
       [](DetectRun& r) -> Status {
         auto server = serve_metrics_if_asked(
             r.options.metrics_address,
             [&r] {
               std::vector<prometheus::MetricFamily> families;
               append_detection_metrics(families, r.detection->metrics());
               if (r.source) append_shard_metrics(families, r.source->stats());
               return families;
             },
             [&r]() -> std::string { return r.reading ? "" : "not reading from Redis (starting, or Redis is down)"; },
             r.console);
         if (!server) return server.error();
         r.metrics = std::move(*server);
         return ok_status();
       },
       [](DetectRun& r) { r.metrics.reset(); }},
      {"detect until told to stop",
       [](DetectRun& r) -> Status {
         r.consumer = std::make_unique<EventConsumer>(
             *r.source, [&r](const std::string& m) { r.console.warn(m); });
         r.consumer->add_handler(*r.detection);
         r.console.info("Detecting from " + r.source->describe() + " as " + r.read.consumer);
         std::atomic<bool> stop{false};
         std::thread stopper([&] {
           while (!stop) {
             switch (wait_for_signal(std::chrono::milliseconds(200))) {
               case Signal::kTerminate: stop = true; break;
               case Signal::kReload: reload_configuration(r.options.reread, r.detection.get(), r.console); break;
               case Signal::kReopen: reopen_files(r.detection.get(), r.console); break;
               case Signal::kNone: break;
             }
           }
         });
         while (!stop) {
           // A Redis outage is waited out: the agents keep the stream, the group keeps our place.
           r.reading = true;
           auto n = r.consumer->run_inline(0, false, stop);
           r.reading = static_cast<bool>(n);
           if (!n && !stop) {
             r.console.warn(n.error().message + " (retrying in 2 s)");
             for (int i = 0; i < 20 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
           }
         }
         stopper.join();
         r.console.line("read " + std::to_string(r.consumer->events()) + " events");
         return ok_status();
       }},
  };
  return steps;
}

}  // namespace

int detect_command(const DetectOptions& options) {
  Console console;
  DetectRun run{options, console};
  return run_steps(run, detect_steps(), console);
}

}  // namespace da
