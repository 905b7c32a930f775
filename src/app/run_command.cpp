// `run` (capture + detection in one process) and `agent` (capture only, into Redis), as ordered
// steps with teardown (app/command_steps.h).
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "app/capture_session.h"
#include "app/command_steps.h"
#include "app/commands.h"
#include "app/metrics_families.h"
#include "app/metrics_server.h"
#include "app/reload.h"
#include "app/signals.h"
#include "docker/docker_client.h"
#include "docker/docker_watcher.h"

namespace da {
namespace {

struct CaptureRun {
  const CaptureOptions& options;
  bool consume;  // read the events back and detect (run), or only ship them (agent)
  Console& console;
  std::optional<DockerEndpoint> endpoint;
  std::unique_ptr<CaptureSession> session;
  std::unique_ptr<DockerClient> docker;
  std::unique_ptr<DockerWatcher> watcher;
  std::unique_ptr<MetricsServer> metrics;
  std::atomic<DockerWatcher*> following{nullptr};  // the watcher once started, for /healthz's thread
  std::atomic<bool> stopping{false};
  int exit_code = 0;
};

// /healthz: healthy while capture runs and Docker's event stream is followed.
std::string capture_health(const CaptureRun& r) {
  if (r.stopping) return "stopping";
  const DockerWatcher* watcher = r.following;
  if (!watcher) return "starting: not following Docker yet";
  if (!watcher->connected()) return "the Docker event stream is down; reconnecting";
  return {};
}

const std::vector<CommandStep<CaptureRun>>& capture_steps() {
  static const std::vector<CommandStep<CaptureRun>> steps = {
      {"check privileges",
       [](CaptureRun&) -> Status {
         if (geteuid() == 0) return ok_status();
         return Error{"monitoring containers needs root (loading BPF programs, or ptrace); run it with sudo",
                      ErrorCause::kPermission};
       }},
      {"find the Docker endpoint",
       [](CaptureRun& r) -> Status {
         const char* env_host = std::getenv("DOCKER_HOST");
         auto endpoint = parse_docker_host(!r.options.docker_host.empty() ? r.options.docker_host
                                           : env_host                     ? env_host
                                                                          : "");
         if (!endpoint) return Error{endpoint.error().message, ErrorCause::kInvalid};
         r.endpoint = *endpoint;
         return ok_status();
       }},
      {"build the pipeline",
       [](CaptureRun& r) -> Status {
         auto session = CaptureSession::create(r.options, r.consume, r.console);
         if (!session) return session.error();
         r.session = std::move(*session);
         return ok_status();
       }},
      {"reach Docker",
       [](CaptureRun& r) -> Status {
         r.docker = std::make_unique<DockerClient>(*r.endpoint);
         return r.docker->ping();
       }},
      {"start capture", [](CaptureRun& r) -> Status { return r.session->start(); },
       [](CaptureRun& r) {
         // Stops capture, ships and consumes what is left, saves profiles: the summary.
         r.console.line(r.session->finish());
         if (!r.session->profiles_saved()) r.exit_code = 1;
       }},
      {"serve metrics",
       [](CaptureRun& r) -> Status {
         auto server = serve_metrics_if_asked(
             r.options.metrics_address,
             [&r] {
               std::vector<prometheus::MetricFamily> families;
               append_capture_metrics(families, r.session->counters());
               if (auto* d = r.session->detection()) append_detection_metrics(families, d->metrics());
               return families;
             },
             [&r] { return capture_health(r); }, r.console);
         if (!server) return server.error();
         r.metrics = std::move(*server);
         return ok_status();
       },
       [](CaptureRun& r) { r.metrics.reset(); }},
      {"follow Docker",
       [](CaptureRun& r) -> Status {
         r.console.info("Listening for docker events...");
         r.watcher = std::make_unique<DockerWatcher>(*r.docker, r.session->monitor());
         if (auto s = r.watcher->start(); !s) return s;
         r.following = r.watcher.get();
         return ok_status();
       },
       [](CaptureRun& r) {
         r.following = nullptr;
         r.watcher->stop();
       }},
      {"monitor until told to stop",
       [](CaptureRun& r) -> Status {
         for (Signal s; (s = wait_for_signal(std::chrono::milliseconds(1000))) != Signal::kTerminate;) {
           if (s == Signal::kReload) reload_configuration(r.options.reread, r.session->detection(), r.console);
           if (s == Signal::kReopen) reopen_files(r.session->detection(), r.console);
           r.session->report_losses();
         }
         r.stopping = true;
         r.console.info("stopping: detaching from every process...");
         return ok_status();
       }},
  };
  return steps;
}

int capture_containers(const CaptureOptions& options, bool consume) {
  Console console;
  CaptureRun run{options, consume, console};
  return run_steps(run, capture_steps(), console);
}

}  // namespace

int run_command(const CaptureOptions& options) { return capture_containers(options, true); }

int agent_command(const CaptureOptions& options) {
  if (options.redis_url.empty()) {
    Console().error("agent needs --redis URL: it only captures, detectors read the stream");
    return 2;
  }
  return capture_containers(options, false);
}

}  // namespace da
