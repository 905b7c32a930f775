#pragma once
// Wall-clock time as the project stores it: unix seconds (profiles, lifecycle) and
// nanoseconds (events, alerts).
#include <chrono>
#include <cstdint>

namespace da {

inline int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline uint64_t unix_nanoseconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace da
