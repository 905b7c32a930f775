#include "detect/learning.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "detect/profile.h"

namespace da {

std::string format_duration(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m" + std::to_string(seconds % 60) + "s";
  return std::to_string(seconds / 3600) + "h" + std::to_string(seconds % 3600 / 60) + "m";
}

std::string format_probability(double p) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1e", p);
  return text;
}

Convergence convergence(const ImageProfile& p, const LearningSettings& s, int64_t now) {
  Convergence c;
  c.estimate = 0;
  for (const auto& entry : p.programs) {
    const auto& program = entry.second;  // a structured binding cannot be captured before C++20's clang 16
    auto consider = [&](const NoveltyWindow& w, const char* what) {
      if (now - w.last_event() >= s.idle_seconds || w.events(now) == 0) return false;
      const double e = w.estimate(now);
      if (c.worst.empty() || e > c.estimate) {
        c.estimate = e;
        c.worst = program.comm + " " + what;
      }
      return true;
    };
    const bool calls = consider(program.sequence_novelty, "sequences");
    const bool resources = consider(program.resource_novelty, "files and peers");
    if (calls || resources) ++c.active_programs;
  }
  c.converged = c.estimate <= s.novelty;
  return c;
}

bool ready_to_stabilize(const ImageProfile& p, const LearningSettings& s, int64_t now, std::string& reason) {
  if (p.state == ProfileState::kStable) return false;
  const int64_t watched = now - p.first_seen;
  if (watched < s.min_seconds) return false;
  const Convergence c = convergence(p, s, now);
  if (c.converged) {
    reason = "converged: P(new) " + format_probability(c.estimate) + " <= " + format_probability(s.novelty) +
             " after " + format_duration(watched);
    return true;
  }
  if (watched >= s.max_seconds) {
    reason = "learning time limit " + format_duration(s.max_seconds) + " reached; not converged: P(new) " +
             format_probability(c.estimate) + " for " + c.worst;
    return true;
  }
  return false;
}

double learning_progress(const ImageProfile& p, const LearningSettings& s, int64_t now) {
  if (p.state == ProfileState::kStable) return 1.0;
  auto fraction = [](double done, double needed) {
    return needed <= 0 ? 1.0 : std::clamp(done / needed, 0.0, 1.0);
  };
  const double watched = static_cast<double>(now - p.first_seen);
  const Convergence c = convergence(p, s, now);
  // Novelty falls roughly like 1/time: progress on a log scale from 1 down to the level.
  const double novelty = c.estimate <= s.novelty ? 1.0
                         : c.estimate >= 1        ? 0.0
                                                  : std::log(c.estimate) / std::log(s.novelty);
  return std::max(std::min(fraction(watched, static_cast<double>(s.min_seconds)), novelty),
                  fraction(watched, static_cast<double>(s.max_seconds)));
}

std::string learning_progress_text(const ImageProfile& p, const LearningSettings& s, int64_t now) {
  if (p.state == ProfileState::kStable)
    return "stable for " + format_duration(now - p.stable_since) +
           (p.stable_reason.empty() ? "" : " (" + p.stable_reason + ")");
  const Convergence c = convergence(p, s, now);
  std::string text = format_duration(now - p.first_seen) + " of " + format_duration(s.min_seconds) +
                     " watched, P(new) " + format_probability(c.estimate) + " of " + format_probability(s.novelty);
  if (!c.worst.empty() && !c.converged) text += " (" + c.worst + ")";
  text += ", " + std::to_string(c.active_programs) + " active programs";
  if (!p.last_novelty.empty()) text += "; last new: " + p.last_novelty;
  return text;
}

}  // namespace da
