#include "docker/docker_watcher.h"

#include "core/clock.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace da {

namespace {
// Where the /events stream starts when there is no event to resume after: a second back, so a
// container started while the scan ran shows up as an event.
double a_second_ago() { return static_cast<double>(unix_nanoseconds()) / 1e9 - 1.0; }
}  // namespace

Status DockerWatcher::scan_running() {
  auto ids = client_.running_containers();
  if (!ids) return ids.error();
  std::set<std::string> running;
  for (const auto& id : *ids) {
    auto info = client_.inspect(id);
    if (!info) {
      listener_.docker_status("cannot inspect container " + short_id(id) + ": " +
                              info.error().message, true);
      continue;
    }
    if (!info->running) continue;
    running.insert(info->id);
    report_running(*info);
  }
  std::vector<std::string> gone;
  for (const auto& id : reported_running_)
    if (!running.count(id)) gone.push_back(id);
  for (const auto& id : gone) {
    listener_.docker_status("container " + short_id(id) + " stopped while the event stream was down", false);
    report_stopped(id);
  }
  return ok_status();
}

void DockerWatcher::report_running(const ContainerInfo& info) {
  reported_running_.insert(info.id);
  listener_.container_running(info);
}

void DockerWatcher::report_stopped(const std::string& id) {
  reported_running_.erase(id);
  listener_.container_stopped(id);
}

Status DockerWatcher::start() {
  if (auto s = client_.ping(); !s) return s;
  const double since = a_second_ago();
  if (auto s = scan_running(); !s) return s;
  thread_ = std::thread([this, since] { loop(since); });
  return ok_status();
}

void DockerWatcher::stop() {
  stop_ = true;
  sleep_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DockerWatcher::sleep_interruptibly(std::chrono::milliseconds d) {
  std::unique_lock lock(sleep_mutex_);
  sleep_cv_.wait_for(lock, d, [&] { return stop_.load(); });
}

void DockerWatcher::handle_event_line(std::string_view line) {
  auto parsed = parse_docker_event(line);
  if (!parsed) {
    listener_.docker_status("ignoring a malformed Docker event: " + parsed.error().message, true);
    return;
  }
  if (!*parsed) return;
  const DockerEvent& e = **parsed;
  last_event_ns_ = std::max(last_event_ns_, e.time_ns);
  switch (e.kind) {
    case DockerEventKind::kStart: {
      auto info = client_.inspect(e.container_id);
      if (!info) {
        listener_.docker_status("cannot inspect started container " + short_id(e.container_id) +
                                ": " + info.error().message, true);
      } else if (info->running) {
        report_running(*info);
      }
      break;
    }
    case DockerEventKind::kExecStart: listener_.container_exec(e.container_id, e.action); break;
    case DockerEventKind::kDie:
    case DockerEventKind::kDestroy: report_stopped(e.container_id); break;
    case DockerEventKind::kPause: listener_.container_paused(e.container_id, true); break;
    case DockerEventKind::kUnpause: listener_.container_paused(e.container_id, false); break;
    case DockerEventKind::kOther: break;
  }
}

void DockerWatcher::loop(double since) {
  auto backoff = std::chrono::milliseconds(500);
  bool connected = true;
  while (!stop_) {
    if (!connected) {
      // dockerd came back (or never left): rescan, then resume the stream after the last event
      // seen. A dockerd that restarted holds no older events; one that only dropped the
      // connection replays what happened meanwhile, and the listener takes a repeated start
      // or stop calmly.
      since = last_event_ns_ ? static_cast<double>(last_event_ns_) / 1e9 - 0.001 : a_second_ago();
      if (auto s = scan_running(); !s) {
        sleep_interruptibly(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(10'000));
        continue;
      }
      listener_.docker_status("reconnected to Docker at " + client_.endpoint().display, false);
      connected = true;
      connected_ = true;
      backoff = std::chrono::milliseconds(500);
    }
    Status s = client_.stream_events(since, [this](std::string_view l) { handle_event_line(l); },
                                     stop_);
    if (stop_) break;
    listener_.docker_status("lost the Docker event stream (" +
                            (s ? std::string("closed by dockerd") : s.error().message) +
                            "); reconnecting",
                            true);
    connected = false;
    connected_ = false;
    sleep_interruptibly(backoff);
  }
}

}  // namespace da
