#include "detect/threshold.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace da {

namespace {

struct TailFit {
  double start = 0, scale = 0, value = 0;
};

// Peaks over a threshold on the top `share` of `means` (reordered: partially sorted).
TailFit fit_tail(std::vector<double>& means, double share, double windows_per_false_alarm) {
  const size_t n = means.size();
  // The k highest windows are the tail's sample; the (k+1)-th is where the tail starts.
  const size_t k = std::clamp<size_t>(static_cast<size_t>(share * static_cast<double>(n)), 50, n - 1);
  std::nth_element(means.begin(), means.begin() + static_cast<std::ptrdiff_t>(k), means.end(), std::greater<>());
  TailFit fit;
  fit.start = means[k];
  double excess = 0;
  for (size_t i = 0; i < k; ++i) excess += means[i] - fit.start;
  fit.scale = excess / static_cast<double>(k);
  // P(mean > u) = k/n; P(mean > u + x) = k/n · exp(-x/scale) = 1/W  ⇒  x = scale · ln(W·k/n).
  const double exceed = static_cast<double>(k) / static_cast<double>(n);
  fit.value = fit.start + fit.scale * std::log(std::max(1.0, windows_per_false_alarm * exceed));
  return fit;
}

}  // namespace

Threshold calibrate_threshold(std::vector<double> means, const ThresholdSettings& s) {
  Threshold t;
  t.windows = means.size();
  t.value = s.floor;
  t.basis = "floor";
  if (means.empty()) return t;
  t.highest = *std::max_element(means.begin(), means.end());
  if (s.margin * t.highest > t.value) {
    t.value = s.margin * t.highest;
    t.basis = "highest held-back";
  }
  const size_t n = means.size();
  if (n < s.min_windows) return t;
  // The higher of the two fits (the narrow one first: it is the one a plain tail is fitted to).
  for (double share : {s.tail_share, s.wide_tail_share}) {
    const TailFit fit = fit_tail(means, share, s.windows_per_false_alarm);
    if (fit.value <= t.tail_value) continue;
    t.tail_value = fit.value;
    t.tail_start = fit.start;
    t.tail_scale = fit.scale;
  }
  if (t.tail_value > t.value) {
    t.value = t.tail_value;
    t.basis = "tail fit";
  }
  return t;
}

}  // namespace da
