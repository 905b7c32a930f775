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
  EXPECT_EQ(t.value, 3.0);
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

TEST(Threshold, ABoundedTailIsFittedCautiously) {
  // Scores that stop at 1 (no tail to extrapolate). The top 1% alone would leave 1.2 × the
  // highest; the top 5% sees more excess, and its fit, the higher, is kept: over the margin,
  // and not far over (an exponential through the uniform's top 5%).
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> v(20000);
  for (auto& x : v) x = u(rng);
  ThresholdSettings narrow_only{.floor = 0.5};
  narrow_only.wide_tail_share = narrow_only.tail_share;
  const Threshold narrow = calibrate_threshold(v, narrow_only);
  EXPECT_EQ(narrow.basis, "highest held-back");
  EXPECT_NEAR(narrow.value, 1.2, 0.01);
  EXPECT_GT(narrow.tail_value, 0);  // kept for the log though the margin won
  EXPECT_LT(narrow.tail_value, narrow.value);
  const Threshold t = calibrate_threshold(v, ThresholdSettings{.floor = 0.5});
  EXPECT_EQ(t.basis, "tail fit");
  EXPECT_GT(t.value, 1.2);
  EXPECT_LT(t.value, 1.7);
  EXPECT_NEAR(t.tail_start, 0.95, 0.01);  // the wide fit's
}

TEST(Threshold, APlateauOfOneRareCallIsFittedFromBelowIt) {
  // The shape of a busy server's held-back windows (redis-server on the real-software bed):
  // almost every window scores 0, and 2% hold one rare call (a connection accepted or closed)
  // at 0.41-0.47. The top 1% sits on that plateau: a small excess, a fit under the floor of 2 —
  // and in a soak, benign windows with three or four such calls scored 2.11-2.37.
  std::vector<double> v(20465, 0.0);
  for (size_t i = 0; i < 410; ++i) v[i * 49] = 0.41 + 0.06 * static_cast<double>(i % 7) / 6;
  ThresholdSettings narrow_only;
  narrow_only.wide_tail_share = narrow_only.tail_share;
  const Threshold narrow = calibrate_threshold(v, narrow_only);
  EXPECT_EQ(narrow.basis, "floor");
  EXPECT_GE(narrow.tail_start, 0.41);  // on the plateau
  EXPECT_LT(narrow.tail_value, 2.0);
  // The top 5% starts below the plateau and takes its height as the excess: the threshold is
  // where the runs whose top 1% did reach below the plateau put it (4.5-9.6 in 21 runs).
  const Threshold t = calibrate_threshold(v, ThresholdSettings{});
  EXPECT_EQ(t.basis, "tail fit");
  EXPECT_EQ(t.tail_start, 0.0);
  EXPECT_GT(t.value, 4.0);
  EXPECT_LT(t.value, 5.0);
}

}  // namespace
}  // namespace da
