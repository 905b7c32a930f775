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

}  // namespace

void block_termination_signals() {
  sigset_t set = termination_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A closed pipe (dump | head) must end the write, not the process.
  signal(SIGPIPE, SIG_IGN);
}

void unblock_all_signals() {
  sigset_t empty;
  sigemptyset(&empty);
  pthread_sigmask(SIG_SETMASK, &empty, nullptr);
}

bool wait_for_termination(std::chrono::milliseconds timeout) {
  sigset_t set = termination_set();
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1'000'000)};
  return sigtimedwait(&set, nullptr, &ts) > 0;
}

}  // namespace da
