#pragma once
// Host-command tracing (`trace -- CMD`), apart from following containers: only a backend that
// can start a command stopped and trace it from its first syscall offers it (ptrace).
#include <sys/types.h>

#include <string>
#include <vector>

#include "core/result.h"

namespace da {

class CommandTracer {
 public:
  virtual ~CommandTracer() = default;
  // Runs one host command under the tracer; returns its pid.
  virtual Result<pid_t> spawn(const std::vector<std::string>& argv) = 0;
  // Waits for the spawned command to exit; its exit status, -1 if stopped first.
  virtual int wait_spawned() = 0;
};

}  // namespace da
