#include "detect/threshold.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace da {

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
  // The k highest windows are the tail's sample; the (k+1)-th is where the tail starts.
  const size_t k = std::clamp<size_t>(static_cast<size_t>(s.tail_share * n), 50, n - 1);
  std::nth_element(means.begin(), means.begin() + k, means.end(), std::greater<>());
  t.tail_start = means[k];
  double excess = 0;
  for (size_t i = 0; i < k; ++i) excess += means[i] - t.tail_start;
  t.tail_scale = excess / static_cast<double>(k);
  // P(mean > u) = k/n; P(mean > u + x) = k/n · exp(-x/scale) = 1/W  ⇒  x = scale · ln(W·k/n).
  const double exceed = static_cast<double>(k) / static_cast<double>(n);
  const double tail = t.tail_start + t.tail_scale * std::log(std::max(1.0, s.windows_per_false_alarm * exceed));
  if (tail > t.value) {
    t.value = tail;
    t.basis = "tail fit";
  }
  return t;
}

}  // namespace da
