#include "app/container_monitor.h"

namespace da {

void ContainerMonitor::container_running(const ContainerInfo& info) {
  {
    std::lock_guard lock(mutex_);
    // A container seen by the scan may come again as a start event: attach once.
    auto it = monitored_.find(info.id);
    if (it != monitored_.end() && it->second.pid == info.pid) return;
    monitored_[info.id] = info;
    metadata_[info.id] = ContainerMeta{info.name, info.image, info.image_id, info.labels};
  }
  console_.info("Monitoring container: " + short_id(info.id) + " (name=" + info.name +
                ", image=" + info.image + ")");
  if (backend_) {
    if (auto s = backend_->add_container({info.id, info.pid}); !s)
      console_.error("cannot monitor container " + short_id(info.id) + ": " + s.error().message);
  }
}

void ContainerMonitor::container_exec(const std::string& id, const std::string&) {
  {
    std::lock_guard lock(mutex_);
    if (!monitored_.count(id)) return;
  }
  if (backend_) backend_->rescan_container(id);
}

void ContainerMonitor::container_stopped(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    if (!monitored_.erase(id)) return;
    stopped_.push_back(id);
    if (stopped_.size() > 256) {
      if (!monitored_.count(stopped_.front())) metadata_.erase(stopped_.front());
      stopped_.pop_front();
    }
  }
  if (backend_) backend_->remove_container(id);
  console_.info("Finished monitoring container: " + short_id(id));
}

void ContainerMonitor::container_paused(const std::string& id, bool paused) {
  std::lock_guard lock(mutex_);
  if (monitored_.count(id)) monitored_[id].paused = paused;
}

void ContainerMonitor::docker_status(const std::string& message, bool problem) {
  if (problem)
    console_.warn(message);
  else
    console_.info(message);
}

void ContainerMonitor::process_started(const std::string&, pid_t pid) {
  console_.debug("Monitoring process ID: " + std::to_string(pid));
}

void ContainerMonitor::process_finished(const std::string&, pid_t pid) {
  console_.debug("Finished monitoring process ID: " + std::to_string(pid));
}

void ContainerMonitor::warning(const std::string& message) { console_.warn(message); }

std::map<std::string, ContainerInfo> ContainerMonitor::containers() const {
  std::lock_guard lock(mutex_);
  return monitored_;
}

std::optional<ContainerMeta> ContainerMonitor::metadata(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = metadata_.find(id);
  if (it == metadata_.end()) return std::nullopt;
  return it->second;
}

}  // namespace da
