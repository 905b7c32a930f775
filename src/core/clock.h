#pragma once
// Wall-clock time as the project stores it: unix seconds (profiles, lifecycle) and
// nanoseconds (events, alerts).
#include <time.h>

#include <chrono>
#include <cstdint>

namespace da {

inline int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The same from the kernel's tick-granular clock: a few milliseconds behind at most, and much
// cheaper to read, for code that asks on every event (the detector) and needs whole seconds.
inline int64_t unix_seconds_coarse() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return ts.tv_sec;
}

inline uint64_t unix_nanoseconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace da
