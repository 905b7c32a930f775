// The sequence threshold: held-back windows, the margin over the highest, the tail fit.
#include "detect/threshold.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace da {
namespace {

std::vector<double> exponential_scores(size_t n, double start, double scale, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> excess(1.0 / scale);
  std::vector<double> v(n);
  for (auto& x : v) x = start + excess(rng);
  return v;
}

TEST(Threshold, NoHeldBackDataIsTheFloor) {
  const Threshold t = calibrate_threshold({}, ThresholdSettings{});
  EXPECT_EQ(t.value, 2.0);
  EXPECT_EQ(t.basis, "floor");
}

TEST(Threshold, FewWindowsUseTheMarginOverTheHighest) {
  const Threshold t = calibrate_threshold({1.0, 2.5, 3.0}, ThresholdSettings{});
  EXPECT_DOUBLE_EQ(t.value, 3.6);
  EXPECT_EQ(t.basis, "highest held-back");
  EXPECT_EQ(t.tail_scale, 0);
}

TEST(Threshold, AnExponentialTailIsExtrapolatedToTheTargetRate) {
  // Twenty thousand held-back windows of a program whose benign scores have an exponential
  // tail: the fit recovers the scale, and the threshold is where one window in 1e12 lands.
  ThresholdSettings s;
  const Threshold t = calibrate_threshold(exponential_scores(20000, 1.0, 0.25, 7), s);
  EXPECT_EQ(t.basis, "tail fit");
  EXPECT_NEAR(t.tail_scale, 0.25, 0.25 * 0.15);
  const double exact = 1.0 + 0.25 * std::log(s.windows_per_false_alarm);
  EXPECT_NEAR(t.value, exact, 0.1 * exact);
  EXPECT_GT(t.value, 1.2 * t.highest);  // what the highest alone would have missed
  // A million more benign windows of the same program: none is over it.
  int over = 0;
  for (double x : exponential_scores(1000000, 1.0, 0.25, 8)) over += x > t.value;
  EXPECT_EQ(over, 0);
}

TEST(Threshold, ABoundedTailKeepsTheMarginOverTheHighest) {
  // Scores that stop at 1 (no tail to extrapolate): 1.2 × the highest is the higher bound.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> v(20000);
  for (auto& x : v) x = u(rng);
  const Threshold t = calibrate_threshold(v, ThresholdSettings{.floor = 0.5});
  EXPECT_EQ(t.basis, "highest held-back");
  EXPECT_NEAR(t.value, 1.2, 0.01);
  EXPECT_GT(t.tail_scale, 0);
}

}  // namespace
}  // namespace da
