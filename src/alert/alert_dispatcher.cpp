#include "alert/alert_dispatcher.h"

namespace da {

struct AlertDispatcher::Worker {
  std::unique_ptr<AlertSink> sink;
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Anomaly> queue;
  bool stopping = false;
  std::atomic<uint64_t> delivered{0}, failed{0};
  std::thread thread;
};

AlertDispatcher::AlertDispatcher(Log log, DispatcherSettings settings)
    : log_(std::move(log)), settings_(settings) {}

AlertDispatcher::~AlertDispatcher() { finish(); }

void AlertDispatcher::add_sink(std::unique_ptr<AlertSink> sink) {
  auto worker = std::make_unique<Worker>();
  worker->sink = std::move(sink);
  Worker* w = worker.get();
  workers_.push_back(std::move(worker));
  w->thread = std::thread([this, w] { run(*w); });
}

void AlertDispatcher::publish(const Anomaly& anomaly) {
  for (auto& w : workers_) {
    std::lock_guard lock(w->mutex);
    if (w->queue.size() >= settings_.queue_limit) {
      ++w->failed;
      log_("warning: alert sink " + w->sink->name() + " is " + std::to_string(w->queue.size()) +
           " alerts behind; this alert is not sent there: " + anomaly.explanation);
      continue;
    }
    w->queue.push_back(anomaly);
    w->ready.notify_one();
  }
}

void AlertDispatcher::run(Worker& w) {
  while (true) {
    Anomaly anomaly;
    {
      std::unique_lock lock(w.mutex);
      w.ready.wait(lock, [&] { return !w.queue.empty() || w.stopping; });
      if (w.queue.empty()) return;
      anomaly = std::move(w.queue.front());
      w.queue.pop_front();
    }
    auto delay = settings_.first_retry;
    for (int attempt = 1;; ++attempt) {
      Status s = w.sink->deliver(anomaly);
      if (s) {
        ++w.delivered;
        break;
      }
      if (attempt >= settings_.max_attempts) {
        ++w.failed;
        log_("error: alert not delivered to " + w.sink->name() + " after " +
             std::to_string(attempt) + " attempts: " + s.error().message);
        break;
      }
      log_("warning: alert sink " + w.sink->name() + ": " + s.error().message + " (retrying)");
      std::this_thread::sleep_for(delay);
      delay *= 2;
    }
  }
}

void AlertDispatcher::finish() {
  for (auto& w : workers_) {
    {
      std::lock_guard lock(w->mutex);
      w->stopping = true;
    }
    w->ready.notify_all();
  }
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

std::vector<SinkStats> AlertDispatcher::stats() const {
  std::vector<SinkStats> out;
  for (const auto& w : workers_) out.push_back({w->sink->name(), w->delivered, w->failed});
  return out;
}

}  // namespace da
