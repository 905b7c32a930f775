#pragma once
// The detection side of the queue: reads batches from a transport, decodes them and hands each
// event to the handlers (printer, counters, and the detection engine).
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/container_meta.h"
#include "core/event_pool.h"
#include "core/syscall_event.h"
#include "transport/event_transport.h"

namespace da {

// Where an event comes from: the agent's host and its container's name and image.
struct EventContext {
  const std::string& host;
  const ContainerMeta& container;  // empty fields when unknown (host commands)
};

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void on_event(const SyscallEvent& event, const EventContext& context) = 0;
  // Called after every poll (about every 100 ms, with or without events) on the same thread.
  virtual void on_tick() {}
  // An agent reports `count` more syscalls it could not capture or ship (batch field "lost").
  virtual void on_capture_loss(const std::string& host, const std::string& agent, uint64_t count) {
    (void)host, (void)agent, (void)count;
  }
};

class EventConsumer {
 public:
  EventConsumer(BatchSource& source, std::function<void(const std::string&)> warn)
      : source_(source), warn_(std::move(warn)) {}
  ~EventConsumer() { finish(); }

  void add_handler(EventHandler& handler) { handlers_.push_back(&handler); }
  // Handled events go back to `pool` for the capture side to fill again (in-process only).
  void recycle_into(EventPool& pool) { pool_ = &pool; }
  void start();
  // Reads until the source has nothing more, then ends (call after the producer finished).
  void finish();
  // Runs on the calling thread until `max_events` were handled (0: no limit) or, with
  // `stop_when_idle`, a poll comes back empty. Returns the number handled.
  Result<uint64_t> run_inline(uint64_t max_events, bool stop_when_idle,
                              const std::atomic<bool>& stop);

  uint64_t events() const { return events_; }
  uint64_t malformed_batches() const { return malformed_; }

 private:
  // Handles one poll's worth; returns how many batches it got (-1 on transport error).
  long poll_once(std::chrono::milliseconds timeout, uint64_t max_events);

  BatchSource& source_;
  std::function<void(const std::string&)> warn_;
  std::vector<EventHandler*> handlers_;
  EventPool* pool_ = nullptr;
  // Metadata seen in batches so far, by container id (only touched by the reading thread).
  ContainerDirectory containers_;
  std::map<std::string, uint64_t> lost_by_agent_;  // last "lost" seen per agent
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> malformed_{0};
  std::thread thread_;
};

}  // namespace da
