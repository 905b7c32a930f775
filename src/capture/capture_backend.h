#pragma once
// Every capture engine (ptrace, eBPF, ...) behind one small interface: start, follow the
// processes of containers as Docker reports them, stop (detaching cleanly), stats.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/event_channel.h"
#include "core/result.h"

namespace da {

struct ContainerTarget {
  std::string id;          // full 64-hex Docker id
  pid_t init_pid = 0;      // State.Pid from inspect
};

// Told about process life so the app can show it; called from the capture thread.
class CaptureObserver {
 public:
  virtual ~CaptureObserver() = default;
  virtual void process_started(const std::string& container_id, pid_t pid) = 0;
  virtual void process_finished(const std::string& container_id, pid_t pid) = 0;
  virtual void warning(const std::string& message) = 0;
};

struct CaptureStats {
  uint64_t tracees_attached = 0;
  uint64_t attach_failures = 0;
  uint64_t lost_events = 0;  // events the backend itself lost (e.g. ring buffer overrun)
  uint64_t judged_in_kernel = 0;  // calls captured and judged in the kernel, never sent (eBPF)
  std::vector<uint64_t> lost_per_cpu;  // the same, per CPU, where the backend knows
};

class CaptureBackend {
 public:
  virtual ~CaptureBackend() = default;
  virtual std::string name() const = 0;
  virtual Status start() = 0;
  // Follows every process of the container, those running now and those to come (fork, clone,
  // exec, docker exec).
  virtual Status add_container(const ContainerTarget& target) = 0;
  // A docker exec entered the container: pick up processes the backend has not seen yet.
  virtual void rescan_container(const std::string& container_id) = 0;
  virtual void remove_container(const std::string& container_id) = 0;
  // Detaches from everything; every tracee keeps running unharmed.
  virtual void stop() = 0;
  virtual CaptureStats stats() = 0;
};

}  // namespace da
