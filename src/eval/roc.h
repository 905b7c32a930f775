#pragma once
// Detection metrics from scores of normal (negative) and attack (positive) traces.
#include <optional>
#include <string>
#include <vector>

namespace da {

struct RocPoint {
  double fpr;
  double tpr;
};

// Area under the ROC curve; ties count one half (Mann-Whitney).
double roc_auc(const std::vector<double>& normal, const std::vector<double>& attack);
// Best TPR with FPR at most `max_fpr`.
double tpr_at_fpr(const std::vector<double>& normal, const std::vector<double>& attack,
                  double max_fpr);
std::vector<RocPoint> roc_curve(const std::vector<double>& normal,
                                const std::vector<double>& attack);
// Fraction of scores strictly above the threshold.
double rate_above(const std::vector<double>& scores, double threshold);
// The q-quantile (0..1) by nearest rank.
double quantile(std::vector<double> values, double q);
// Where a detector runs on its curve: the rates at its threshold, and what to call it.
struct OperatingPoint {
  double fpr = 0;
  double tpr = 0;
  std::string label;  // e.g. "threshold 3.21"
};

// A standalone SVG of the curve: axes with ticks and a grid, the diagonal, the AUC, and the
// operating point marked when given.
std::string roc_svg(const std::vector<RocPoint>& curve, double auc, const std::string& title,
                    const std::optional<OperatingPoint>& operating = std::nullopt);

}  // namespace da
