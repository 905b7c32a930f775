#include "alert/alert_dispatcher.h"


#include <algorithm>
#include <fstream>
#include <sstream>

#include "alert/alert_format.h"
#include "core/atomic_file.h"
#include "core/json_text.h"

namespace da {

namespace fs = std::filesystem;

struct AlertDispatcher::Worker {
  std::unique_ptr<AlertSink> sink;
  fs::path outbox;  // empty unless the sink is durable and an outbox dir is set
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Item> queue;
  bool stopping = false;
  std::chrono::steady_clock::time_point deadline;  // once stopping
  std::atomic<uint64_t> file_sequence{0};
  std::atomic<uint64_t> delivered{0}, failed{0}, kept{0};
  std::thread thread;
};

AlertDispatcher::AlertDispatcher(Log log, DispatcherSettings settings)
    : log_(std::move(log)), settings_(std::move(settings)) {}

AlertDispatcher::~AlertDispatcher() { finish(); }

namespace {

std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

}  // namespace

void AlertDispatcher::add_sink(std::unique_ptr<AlertSink> sink) {
  auto worker = std::make_unique<Worker>();
  worker->sink = std::move(sink);
  Worker* w = worker.get();
  if (!settings_.outbox_dir.empty() && w->sink->durable()) {
    w->outbox = settings_.outbox_dir / sanitize(w->sink->name());
    std::error_code ec;
    fs::create_directories(w->outbox, ec);
    if (ec) {
      log_("warning: no outbox for alert sink " + w->sink->name() + " (" + ec.message() +
           "): its alerts are kept in memory only");
      w->outbox.clear();
    } else {
      // Alerts a previous run could not deliver go first, oldest first.
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(w->outbox, ec))
        if (e.path().extension() == ".json") files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        std::ifstream in(f);
        std::stringstream text;
        text << in.rdbuf();
        auto j = nlohmann::json::parse(text.str(), nullptr, false);
        auto a = j.is_discarded() ? Result<Anomaly>(Error{"not JSON"}) : anomaly_from_json(j);
        if (!a) {
          log_("warning: skipping unreadable outbox file " + f.string() + ": " + a.error().message);
          fs::rename(f, f.string() + ".unreadable", ec);
          continue;
        }
        w->queue.push_back({std::move(*a), f});
      }
      if (!w->queue.empty())
        log_("alert sink " + w->sink->name() + ": " + std::to_string(w->queue.size()) +
             " alerts left undelivered by a previous run are sent first");
      if (!files.empty()) {
        // New files sort after the old ones.
        const std::string last = files.back().stem().string();
        w->file_sequence = std::strtoull(last.c_str(), nullptr, 10) + 1;
      }
    }
  }
  workers_.push_back(std::move(worker));
  w->thread = std::thread([this, w] { run(*w); });
}

std::optional<fs::path> AlertDispatcher::store(Worker& w, const Anomaly& anomaly) {
  char name[32];
  std::snprintf(name, sizeof name, "%016llu.json", static_cast<unsigned long long>(w.file_sequence++));
  fs::path path = w.outbox / name;
  if (auto s = write_file_atomically(path, json_text(anomaly_to_json(anomaly))); !s) {
    log_("warning: " + s.error().message + "; this alert for " + w.sink->name() +
         " is kept in memory only");
    return std::nullopt;
  }
  return path;
}

void AlertDispatcher::publish(const Anomaly& anomaly) {
  for (auto& w : workers_) {
    // Written (and fsync'ed) before taking the queue's lock: the worker is never held up by it.
    Item item{anomaly, {}};
    if (!w->outbox.empty())
      if (auto path = store(*w, anomaly)) item.file = *path;
    std::lock_guard lock(w->mutex);
    if (w->queue.size() >= settings_.queue_limit) {
      // The oldest goes, so the newest (most relevant now) is kept; counted and logged.
      Item dropped = std::move(w->queue.front());
      w->queue.pop_front();
      ++w->failed;
      std::error_code ec;
      if (!dropped.file.empty()) fs::remove(dropped.file, ec);
      log_("error: alert sink " + w->sink->name() + " is " + std::to_string(settings_.queue_limit) +
           " alerts behind; dropped the oldest: " + dropped.anomaly.explanation);
    }
    w->queue.push_back(std::move(item));
    w->ready.notify_one();
  }
}

bool AlertDispatcher::deliver_with_retries(Worker& w, const Item& item) {
  auto delay = settings_.first_retry;
  const bool durable = !item.file.empty() || w.sink->durable();
  std::string last_error;
  for (int attempt = 1;; ++attempt) {
    Status s = w.sink->deliver(item.anomaly);
    if (s) {
      if (attempt > 1) log_("alert sink " + w.sink->name() + " delivered after " + std::to_string(attempt) + " attempts");
      return true;
    }
    if (s.error().message != last_error) {
      last_error = s.error().message;
      log_("warning: alert sink " + w.sink->name() + ": " + last_error + " (retrying)");
    }
    if (!durable && attempt >= settings_.max_attempts) {
      log_("error: alert not delivered to " + w.sink->name() + " after " + std::to_string(attempt) +
           " attempts: " + last_error);
      return false;
    }
    std::unique_lock lock(w.mutex);
    if (w.stopping && std::chrono::steady_clock::now() >= w.deadline) return false;
    auto wake = std::chrono::steady_clock::now() + delay;
    if (w.stopping) wake = std::min(wake, w.deadline);
    w.ready.wait_until(lock, wake, [&] { return w.stopping && std::chrono::steady_clock::now() >= w.deadline; });
    delay = std::min(delay * 2, settings_.max_retry);
  }
}

void AlertDispatcher::run(Worker& w) {
  while (true) {
    Item item;
    {
      std::unique_lock lock(w.mutex);
      // Wakes at least once a second so batching sinks (digest) can send what is due.
      w.ready.wait_for(lock, std::chrono::seconds(1), [&] { return !w.queue.empty() || w.stopping; });
      if (w.queue.empty()) {
        if (w.stopping) break;
        lock.unlock();
        if (auto s = w.sink->flush(); !s) log_("warning: alert sink " + w.sink->name() + ": " + s.error().message);
        continue;
      }
      if (w.stopping && std::chrono::steady_clock::now() >= w.deadline) break;
      item = std::move(w.queue.front());
      w.queue.pop_front();
    }
    if (deliver_with_retries(w, item)) {
      ++w.delivered;
      std::error_code ec;
      if (!item.file.empty()) fs::remove(item.file, ec);
    } else if (!item.file.empty()) {
      ++w.kept;  // stays in the outbox for the next start
      std::lock_guard lock(w.mutex);
      w.kept += w.queue.size();
      w.queue.clear();
      break;
    } else {
      ++w.failed;
    }
  }
  if (auto s = w.sink->drain(); !s) log_("error: alert sink " + w.sink->name() + ": " + s.error().message);
  std::lock_guard lock(w.mutex);
  for (const auto& left : w.queue) (left.file.empty() ? w.failed : w.kept) += 1;
  w.queue.clear();
}

void AlertDispatcher::finish() {
  if (finished_) return;
  finished_ = true;
  const auto deadline = std::chrono::steady_clock::now() + settings_.finish_grace;
  for (auto& w : workers_) {
    {
      std::lock_guard lock(w->mutex);
      w->stopping = true;
      w->deadline = deadline;
    }
    w->ready.notify_all();
  }
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  for (auto& w : workers_)
    if (w->kept)
      log_("alert sink " + w->sink->name() + ": " + std::to_string(w->kept.load()) +
           " alerts not yet delivered are kept in " + w->outbox.string() + " for the next start");
}

void AlertDispatcher::reopen_files() {
  for (auto& w : workers_) w->sink->reopen();
}

std::vector<SinkStats> AlertDispatcher::stats() const {
  std::vector<SinkStats> out;
  for (const auto& w : workers_) {
    size_t pending;
    {
      std::lock_guard lock(w->mutex);
      pending = w->queue.size();
    }
    out.push_back({w->sink->name(), w->delivered, w->failed, w->kept, pending});
  }
  return out;
}

}  // namespace da
