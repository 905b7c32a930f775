#pragma once
// Fans each anomaly out to every sink. Each sink has its own queue and worker thread, so a
// slow or failing sink (SMTP down) never blocks detection or the other sinks. A failed delivery
// is retried with backoff; what still cannot be delivered is counted and reported, never
// dropped silently.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "alert/alert_sink.h"

namespace da {

struct DispatcherSettings {
  size_t queue_limit = 10000;  // alerts waiting per sink
  int max_attempts = 5;
  std::chrono::milliseconds first_retry{500};
};

struct SinkStats {
  std::string name;
  uint64_t delivered = 0;
  uint64_t failed = 0;  // gave up after every attempt, or queue full
};

class AlertDispatcher {
 public:
  using Log = std::function<void(const std::string&)>;
  AlertDispatcher(Log log, DispatcherSettings settings = {});
  ~AlertDispatcher();

  void add_sink(std::unique_ptr<AlertSink> sink);
  void publish(const Anomaly& anomaly);
  // Delivers what is queued (bounded by the retry schedule), then stops the workers.
  void finish();
  std::vector<SinkStats> stats() const;

 private:
  struct Worker;
  void run(Worker& worker);

  Log log_;
  DispatcherSettings settings_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace da
