#include "app/signals.h"

#include <signal.h>

#include <ctime>

namespace da {
namespace {

sigset_t termination_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

sigset_t handled_set() {
  sigset_t set = termination_set();
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  return set;
}

timespec as_timespec(std::chrono::milliseconds timeout) {
  return {static_cast<time_t>(timeout.count() / 1000), static_cast<long>((timeout.count() % 1000) * 1'000'000)};
}

}  // namespace

void block_termination_signals() {
  // SIGHUP and SIGUSR1 too: their default action ends the process (a `trace` lost its summary).
  sigset_t set = handled_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A closed pipe (dump | head) must end the write, not the process.
  signal(SIGPIPE, SIG_IGN);
}

void unblock_all_signals() {
  sigset_t empty;
  sigemptyset(&empty);
  pthread_sigmask(SIG_SETMASK, &empty, nullptr);
}

Signal wait_for_signal(std::chrono::milliseconds timeout) {
  sigset_t set = handled_set();
  const timespec ts = as_timespec(timeout);
  switch (sigtimedwait(&set, nullptr, &ts)) {
    case SIGINT:
    case SIGTERM: return Signal::kTerminate;
    case SIGHUP: return Signal::kReload;
    case SIGUSR1: return Signal::kReopen;
    default: return Signal::kNone;
  }
}

bool wait_for_termination(std::chrono::milliseconds timeout) {
  sigset_t set = termination_set();
  const timespec ts = as_timespec(timeout);
  return sigtimedwait(&set, nullptr, &ts) > 0;
}

}  // namespace da
