#pragma once
// Fans each anomaly out to every sink. Each sink has its own queue and worker thread, so a
// slow or failing sink (SMTP down) never blocks detection or the other sinks.
//
// Durable sinks (email, webhook) keep each alert in an on-disk outbox (<state-dir>/outbox/<sink>)
// from the moment it is published until it is delivered: a server outage is waited out with
// retries and backoff, and alerts still pending at exit are sent by the next start. The outbox
// is bounded; what has to be dropped, or what a non-durable sink fails to take, is counted and
// logged — never lost silently.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "alert/alert_sink.h"

namespace da {

struct DispatcherSettings {
  size_t queue_limit = 10000;  // alerts waiting per sink (and files in its outbox)
  int max_attempts = 5;        // non-durable sinks; durable ones retry until delivered or exit
  std::chrono::milliseconds first_retry{500};
  std::chrono::milliseconds max_retry{30000};
  std::chrono::milliseconds finish_grace{5000};  // at exit, time left to deliver what is queued
  std::filesystem::path outbox_dir;              // empty: no outbox
};

struct SinkStats {
  std::string name;
  uint64_t delivered = 0;
  uint64_t failed = 0;  // given up (non-durable) or dropped from a full queue/outbox
  uint64_t kept = 0;    // left in the outbox at exit, for the next start
  uint64_t pending = 0;  // waiting to be delivered now (queue, and outbox for durable sinks)
};

class AlertDispatcher {
 public:
  using Log = std::function<void(const std::string&)>;
  AlertDispatcher(Log log, DispatcherSettings settings = {});
  ~AlertDispatcher();

  // Starts the sink's worker; a durable sink's outbox left by a previous run is queued first.
  void add_sink(std::unique_ptr<AlertSink> sink);
  void publish(const Anomaly& anomaly);
  // Delivers what is queued (for at most finish_grace), then stops the workers.
  void finish();
  std::vector<SinkStats> stats() const;
  // SIGUSR1: every sink that writes a file reopens it before its next write.
  void reopen_files();

 private:
  struct Worker;
  struct Item {
    Anomaly anomaly;
    std::filesystem::path file;  // its outbox file, if any
  };
  void run(Worker& worker);
  bool deliver_with_retries(Worker& worker, const Item& item);
  std::optional<std::filesystem::path> store(Worker& worker, const Anomaly& anomaly);

  Log log_;
  DispatcherSettings settings_;
  std::vector<std::unique_ptr<Worker>> workers_;
  bool finished_ = false;
};

}  // namespace da
