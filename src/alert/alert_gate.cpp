#include "alert/alert_gate.h"

#include <algorithm>
#include <chrono>

#include "core/clock.h"
#include "docker/docker_api.h"

namespace da {

AlertGate::AlertGate(NoiseSettings settings, Publish publish, Log log, Clock clock)
    : settings_(settings), publish_(std::move(publish)), log_(std::move(log)),
      clock_(clock ? std::move(clock) : Clock(unix_seconds)) {}

void AlertGate::offer(const Anomaly& a) {
  const int64_t now = clock_();
  const std::string& scope = settings_.per_image ? a.image_id : a.container_id;
  if (settings_.window_seconds > 0) {
    auto key = std::make_tuple(scope, static_cast<int>(a.kind), a.subject);
    auto it = windows_.find(key);
    if (it != windows_.end() && now - it->second.opened < settings_.window_seconds) {
      ++it->second.repeats;
      it->second.last = a;
      it->second.hosts.insert(a.host);
      ++aggregated_;
      return;
    }
    if (it != windows_.end()) close(it->second);
    windows_[key] = Window{now, 0, a, {a.host}};
  }
  if (settings_.rate_per_minute > 0 && a.severity != Severity::kHigh) {
    Bucket& b = buckets_[scope];
    if (b.refilled == 0) b.tokens = settings_.rate_per_minute, b.refilled = now;
    b.tokens = std::min<double>(settings_.rate_per_minute,
                                b.tokens + (now - b.refilled) * settings_.rate_per_minute / 60.0);
    b.refilled = now;
    if (b.tokens < 1) {
      ++b.held_back;
      ++rate_limited_;
      return;
    }
    b.tokens -= 1;
  }
  publish_(a);
}

void AlertGate::close(Window& w) {
  if (w.repeats == 0) return;
  Anomaly follow_up = w.last;
  follow_up.count = w.repeats;
  follow_up.explanation = "repeated " + std::to_string(w.repeats) + " more times within " +
                          std::to_string(settings_.window_seconds) + " s";
  if (settings_.per_image) {
    std::string hosts;
    for (const auto& h : w.hosts) hosts += (hosts.empty() ? "" : ", ") + h;
    follow_up.explanation += " on " + std::to_string(w.hosts.size()) + (w.hosts.size() == 1 ? " host (" : " hosts (") + hosts + ")";
  }
  follow_up.explanation += ": " + w.last.explanation;
  w.repeats = 0;
  publish_(follow_up);  // an aggregate is the report of what was held back: never rate-limited
}

void AlertGate::tick() {
  const int64_t now = clock_();
  if (now == last_tick_) return;
  last_tick_ = now;
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now - it->second.opened >= settings_.window_seconds) {
      close(it->second);
      it = windows_.erase(it);
    } else {
      ++it;
    }
  }
  if (now % 60 == 0) {
    for (auto& [container, bucket] : buckets_) {
      if (!bucket.held_back) continue;
      log_("rate limit: " + std::to_string(bucket.held_back) + " medium/low alerts of " +
           scope_name(container) + " held back in the last minute (alerts.noise.rate_per_minute = " +
           std::to_string(settings_.rate_per_minute) + ")");
      bucket.held_back = 0;
    }
  }
}

std::string AlertGate::scope_name(const std::string& scope) const {
  return settings_.per_image ? "image " + scope.substr(0, 19) : "container " + short_id(scope);
}

void AlertGate::flush() {
  for (auto& [key, window] : windows_) close(window);
  windows_.clear();
  for (auto& [container, bucket] : buckets_)
    if (bucket.held_back)
      log_("rate limit: " + std::to_string(bucket.held_back) + " medium/low alerts of " +
           scope_name(container) + " were held back");
}

}  // namespace da
