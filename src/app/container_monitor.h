#pragma once
// Glue between Docker and capture: each running container is handed to the capture backend,
// each docker exec triggers a rescan, and the console tells the user what is being monitored.
#include <deque>
#include <map>
#include <optional>
#include <mutex>
#include <set>

#include "core/console.h"
#include "capture/capture_backend.h"
#include "core/container_meta.h"
#include "docker/docker_watcher.h"

namespace da {

class ContainerMonitor final : public DockerListener, public CaptureObserver {
 public:
  explicit ContainerMonitor(Console& console) : console_(console) {}
  void set_backend(CaptureBackend* backend) { backend_ = backend; }

  // DockerListener
  void container_running(const ContainerInfo& info) override;
  void container_exec(const std::string& id, const std::string& action) override;
  void container_stopped(const std::string& id) override;
  void container_paused(const std::string& id, bool paused) override;
  void docker_status(const std::string& message, bool problem) override;

  // CaptureObserver
  void process_started(const std::string& container_id, pid_t pid) override;
  void process_finished(const std::string& container_id, pid_t pid) override;
  void warning(const std::string& message) override;

  std::map<std::string, ContainerInfo> containers() const;
  // Name and image of a container monitored now or earlier in this run (events of a container
  // that just stopped may still be in flight).
  std::optional<ContainerMeta> metadata(const std::string& id) const;

 private:
  Console& console_;
  CaptureBackend* backend_ = nullptr;
  mutable std::mutex mutex_;
  std::map<std::string, ContainerInfo> monitored_;
  std::map<std::string, ContainerMeta> metadata_;
  std::deque<std::string> stopped_;  // metadata of the last stopped containers is kept a while
};

}  // namespace da
