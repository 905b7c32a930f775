#pragma once
// Noise control between the detector and the sinks:
// - the same anomaly (container, kind, subject) within `window_seconds` becomes one alert: the
//   first goes out at once, repeats are counted and sent as one follow-up alert with the count
//   when the window closes;
// - each container gets `rate_per_minute` alerts; beyond that medium/low alerts are held back and
//   counted (high severity is never suppressed).
// Every suppressed or aggregated alert is counted, logged and in the exit summary. The fleet's
// dispatcher (NoiseSettings::per_image) keys both by image instead: one incident per image,
// whichever host and container it happens in.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "alert/alert_settings.h"
#include "detect/anomaly.h"

namespace da {

class AlertGate {
 public:
  using Publish = std::function<void(const Anomaly&)>;
  using Log = std::function<void(const std::string&)>;
  using Clock = std::function<int64_t()>;  // unix seconds

  AlertGate(NoiseSettings settings, Publish publish, Log log, Clock clock = {});

  void offer(const Anomaly& anomaly);
  // Closes due windows (sending the aggregated follow-ups) and reports rate-limited counts.
  void tick();
  // At exit: sends every pending aggregate now.
  void flush();
  // SIGHUP: new windows and rates apply from the next alert on.
  void set_settings(const NoiseSettings& settings) { settings_ = settings; }

  uint64_t aggregated() const { return aggregated_; }
  uint64_t rate_limited() const { return rate_limited_; }

 private:
  struct Window {
    int64_t opened = 0;
    uint64_t repeats = 0;  // after the first, not yet reported
    Anomaly last;
    std::set<std::string> hosts;  // per_image: where it was seen
  };
  struct Bucket {
    double tokens = 0;
    int64_t refilled = 0;
    uint64_t held_back = 0;  // since the last report
  };
  void close(Window& window);
  std::string scope_name(const std::string& scope) const;  // "container 0f3e…" / "image sha256:…"

  NoiseSettings settings_;
  Publish publish_;
  Log log_;
  Clock clock_;
  std::map<std::tuple<std::string, int, std::string>, Window> windows_;
  std::map<std::string, Bucket> buckets_;
  uint64_t aggregated_ = 0;
  uint64_t rate_limited_ = 0;
  int64_t last_tick_ = 0;
};

}  // namespace da
