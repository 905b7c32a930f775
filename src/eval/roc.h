#pragma once
// Detection metrics from scores of normal (negative) and attack (positive) traces.
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
// A standalone SVG of the curve with the diagonal and the AUC in the title.
std::string roc_svg(const std::vector<RocPoint>& curve, double auc, const std::string& title);

}  // namespace da
