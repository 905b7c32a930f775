#pragma once
// The sequence alarm threshold of one program: how high the mean surprise of a locality window
// must be before it is reported, set on the program's held-back learning data (windows the
// model was not fitted to).
//
// The highest held-back window is not enough. Twenty thousand held-back windows bound what
// twenty thousand windows do; a busy server scores millions an hour, and its benign tail goes
// further (measured on the real-software bed: postgres held back 4.0 at most, then scored 4.9–5.1
// a few times an hour). So the tail of the held-back scores is fitted (peaks over a threshold,
// exponential excesses: P(mean > u + x) = p_u · exp(-x / scale)) and extrapolated to the score
// that benign windows exceed once in `windows_per_false_alarm`.
#include <cstddef>
#include <string>
#include <vector>

namespace da {

struct ThresholdSettings {
  // Never below (nats per call). A thin held-back sample (a busy server's 20,480 calls, almost
  // all of one loop) can fit under any floor; with every program of the real-software bed held
  // at 2.0, benign windows scored 2.01-2.68 in a 5-minute soak (docs/detection.md).
  double floor = 3.0;
  double margin = 1.2;   // never below margin × the highest held-back window
  // The tail fit's target: one benign window over the threshold in this many (about a year of a
  // program making 30 000 calls a second, if its tail were exponential). Set that high because
  // the fit varies from run to run with what was held back: at 1e10, one run's redis-server got
  // 2.64 (others 3.2–5.7) and a soak window scored 3.06.
  double windows_per_false_alarm = 1e12;
  size_t min_windows = 2000;  // fewer held-back windows: no tail fit, the margin rule alone
  double tail_share = 0.01;   // the top share of held-back windows the tail is fitted to
  // ...and fitted again to this wider share, the higher threshold kept. A busy server's top 1%
  // can sit on a plateau: windows holding one rare call (a connection accepted or closed), all
  // scoring about the same, so the 1% fit sees almost no excess and extrapolates to below the
  // floor — while benign windows with three or four such calls then score over it in a soak
  // (redis-server on the real-software bed: 5 runs fitted 2.8-5.0 from a tail start on the
  // plateau, and 3 runs were at the floor, whose soaks scored benign windows 2.01-2.37).
  // The wider sample starts below the plateau and sees its height as excess. On an exponential
  // tail both fits agree; on a bounded one the wider fit is the more cautious.
  double wide_tail_share = 0.05;
};

struct Threshold {
  double value = 0;
  size_t windows = 0;       // held-back windows it was set on
  double highest = 0;       // the highest of them
  double tail_start = 0;    // u: where the kept fit's tail starts
  double tail_scale = 0;    // the kept fit's mean excess over u
  double tail_value = 0;    // what the tail fit gave (0: no fit), also when another bound won
  std::string basis;        // which bound set the value: "floor", "highest held-back", "tail fit"
};

// `means`: the mean surprise of every held-back window (taken by value: partially sorted).
Threshold calibrate_threshold(std::vector<double> means, const ThresholdSettings& settings);

}  // namespace da
