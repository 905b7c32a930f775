#pragma once
// Follows the Docker daemon: containers running at start, then the /events stream; reconnects
// and rescans when dockerd restarts. A container that stopped while the stream was down (its
// `die` event lost with a restarted dockerd) is reported stopped by the rescan.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "docker/docker_client.h"

namespace da {

class DockerListener {
 public:
  virtual ~DockerListener() = default;
  virtual void container_running(const ContainerInfo& info) = 0;  // found by scan or start event
  virtual void container_exec(const std::string& id, const std::string& action) = 0;
  virtual void container_stopped(const std::string& id) = 0;
  virtual void container_paused(const std::string& id, bool paused) = 0;
  // Connection lost (a problem) or restored, a container found gone (not a problem).
  virtual void docker_status(const std::string& message, bool problem) = 0;
};

class DockerWatcher {
 public:
  DockerWatcher(DockerClient& client, DockerListener& listener)
      : client_(client), listener_(listener) {}
  ~DockerWatcher() { stop(); }

  // Scans running containers once, synchronously, so start-up errors reach the user at once.
  Status start();
  void stop();
  // False while the event stream is down and being reconnected (for health checks).
  bool connected() const { return connected_; }
  // For tests and one-shot tools: handle one raw /events line.
  void handle_event_line(std::string_view line);

 private:
  Status scan_running();
  void report_running(const ContainerInfo& info);
  void report_stopped(const std::string& id);
  void loop(double since);
  void sleep_interruptibly(std::chrono::milliseconds d);

  DockerClient& client_;
  DockerListener& listener_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{true};
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
  std::thread thread_;
  // What the listener was told is running, so a rescan can tell it what is gone. Touched by
  // start() and then only by the watcher thread.
  std::set<std::string> reported_running_;
  // The newest event seen, so a stream that broke resumes where it stopped (dockerd replays
  // what it still holds) rather than from the moment it came back.
  uint64_t last_event_ns_ = 0;
};

}  // namespace da
