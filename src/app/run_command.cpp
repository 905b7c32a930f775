// `run` (capture + detection in one process) and `agent` (capture only, into Redis).
#include <unistd.h>

#include <cstdlib>

#include "app/capture_session.h"
#include "app/commands.h"
#include "app/signals.h"
#include "docker/docker_client.h"
#include "docker/docker_watcher.h"

namespace da {
namespace {

int capture_containers(const CaptureOptions& options, bool consume) {
  Console console;
  if (geteuid() != 0) {
    console.error("error: monitoring containers needs root (loading BPF programs, or ptrace); "
                  "run it with sudo");
    return 1;
  }
  const char* env_host = std::getenv("DOCKER_HOST");
  auto endpoint = parse_docker_host(!options.docker_host.empty() ? options.docker_host
                                    : env_host                   ? env_host
                                                                 : "");
  if (!endpoint) {
    console.error("error: " + endpoint.error().message);
    return 2;
  }
  auto session = CaptureSession::create(options, consume, console);
  if (!session) {
    console.error("error: " + session.error().message);
    return 1;
  }
  DockerClient docker(*endpoint);
  if (auto s = docker.ping(); !s) {
    console.error("error: " + s.error().message);
    return 1;
  }
  if (auto s = (*session)->start(); !s) {
    console.error("error: " + s.error().message);
    return 1;
  }
  console.line("Listening for docker events...");
  DockerWatcher watcher(docker, (*session)->monitor());
  if (auto s = watcher.start(); !s) {
    console.error("error: " + s.error().message);
    console.line((*session)->finish());
    return 1;
  }
  while (!wait_for_termination(std::chrono::milliseconds(1000))) (*session)->report_losses();
  console.error("stopping: detaching from every process...");
  watcher.stop();
  console.line((*session)->finish());
  return (*session)->profiles_saved() ? 0 : 1;
}

}  // namespace

int run_command(const CaptureOptions& options) { return capture_containers(options, true); }

int agent_command(const CaptureOptions& options) {
  if (options.redis_url.empty()) {
    Console().error("error: agent needs --redis URL: it only captures, detectors read the stream");
    return 2;
  }
  return capture_containers(options, false);
}

}  // namespace da
