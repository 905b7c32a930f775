#pragma once
// The ptrace capture backend: one tracer thread owns every tracee (ptrace binds a tracee to the
// thread that attached it). Works on any kernel as root; costs two stops per syscall.
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "capture/capture_backend.h"
#include "capture/command_tracer.h"

namespace da {

class PtraceTracer;  // the tracer thread's state machine, private to ptrace_backend.cpp

class PtraceBackend final : public CaptureBackend, public CommandTracer {
 public:
  PtraceBackend(EventChannel& channel, CaptureObserver& observer);
  ~PtraceBackend() override;

  std::string name() const override { return "ptrace"; }
  Status start() override;
  Status add_container(const ContainerTarget& target) override;
  void rescan_container(const std::string& container_id) override;
  void remove_container(const std::string& container_id) override;
  Result<pid_t> spawn(const std::vector<std::string>& argv) override;
  int wait_spawned() override;
  void stop() override;
  CaptureStats stats() override;

 private:
  // Runs `command` on the tracer thread and waits for it: only that thread may call ptrace.
  // False when the tracer has already ended.
  bool run_on_tracer(std::function<void(PtraceTracer&)> command);
  void tracer_main();

  CaptureObserver& observer_;
  std::unique_ptr<PtraceTracer> tracer_;  // pushes into the channel
  std::thread thread_;
  std::atomic<pthread_t> thread_handle_{};
  std::atomic<bool> running_{false};
  std::atomic<bool> tracer_exited_{false};
  CaptureStats final_stats_;
  std::mutex commands_mutex_;
  std::condition_variable commands_ready_;
  std::deque<std::packaged_task<void(PtraceTracer&)>> commands_;
  std::promise<int> spawned_exit_;
  bool spawned_ = false;  // only touched on the tracer thread
};

}  // namespace da
