#include "eval/roc.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace da {

double roc_auc(const std::vector<double>& normal, const std::vector<double>& attack) {
  if (normal.empty() || attack.empty()) return 0.5;
  struct Item {
    double score;
    bool attack;
  };
  std::vector<Item> all;
  for (double s : normal) all.push_back({s, false});
  for (double s : attack) all.push_back({s, true});
  std::sort(all.begin(), all.end(), [](const Item& a, const Item& b) { return a.score < b.score; });
  double rank_sum = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].score == all[i].score) ++j;
    const double mid_rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2.0;
    for (size_t k = i; k < j; ++k)
      if (all[k].attack) rank_sum += mid_rank;
    i = j;
  }
  const double p = static_cast<double>(attack.size());
  const double n = static_cast<double>(normal.size());
  return (rank_sum - p * (p + 1) / 2) / (p * n);
}

std::vector<RocPoint> roc_curve(const std::vector<double>& normal,
                                const std::vector<double>& attack) {
  std::vector<double> thresholds(normal);
  thresholds.insert(thresholds.end(), attack.begin(), attack.end());
  std::sort(thresholds.begin(), thresholds.end(), std::greater<>());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  std::vector<double> sn(normal), sa(attack);
  std::sort(sn.begin(), sn.end());
  std::sort(sa.begin(), sa.end());
  auto at_least = [](const std::vector<double>& sorted, double t) {
    return static_cast<double>(sorted.end() - std::lower_bound(sorted.begin(), sorted.end(), t));
  };
  std::vector<RocPoint> curve{{0, 0}};
  for (double t : thresholds)
    curve.push_back({at_least(sn, t) / std::max<size_t>(1, sn.size()),
                     at_least(sa, t) / std::max<size_t>(1, sa.size())});
  curve.push_back({1, 1});
  return curve;
}

double tpr_at_fpr(const std::vector<double>& normal, const std::vector<double>& attack,
                  double max_fpr) {
  double best = 0;
  for (const auto& p : roc_curve(normal, attack))
    if (p.fpr <= max_fpr + 1e-12) best = std::max(best, p.tpr);
  return best;
}

double rate_above(const std::vector<double>& scores, double threshold) {
  if (scores.empty()) return 0;
  return static_cast<double>(std::count_if(scores.begin(), scores.end(),
                                           [&](double s) { return s > threshold; })) /
         static_cast<double>(scores.size());
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

std::string roc_svg(const std::vector<RocPoint>& curve, double auc, const std::string& title) {
  const int size = 400, margin = 50;
  auto x = [&](double f) { return margin + f * size; };
  auto y = [&](double t) { return margin + (1 - t) * size; };
  std::string points;
  char buf[64];
  for (const auto& p : curve) {
    std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x(p.fpr), y(p.tpr));
    points += buf;
  }
  char head[512];
  std::snprintf(head, sizeof head,
                "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                "font-family='sans-serif' font-size='12'>\n"
                "<rect width='100%%' height='100%%' fill='white'/>\n"
                "<text x='%d' y='25' font-size='14'>%s — ROC AUC %.4f</text>\n",
                size + 2 * margin, size + 2 * margin, margin, title.c_str(), auc);
  std::string svg = head;
  svg += "<rect x='" + std::to_string(margin) + "' y='" + std::to_string(margin) + "' width='" +
         std::to_string(size) + "' height='" + std::to_string(size) +
         "' fill='none' stroke='black'/>\n";
  svg += "<line x1='" + std::to_string(margin) + "' y1='" + std::to_string(margin + size) +
         "' x2='" + std::to_string(margin + size) + "' y2='" + std::to_string(margin) +
         "' stroke='#bbb' stroke-dasharray='4'/>\n";
  svg += "<polyline fill='none' stroke='#c0392b' stroke-width='2' points='" + points + "'/>\n";
  svg += "<text x='" + std::to_string(margin + size / 2 - 60) + "' y='" +
         std::to_string(margin + size + 35) + "'>false positive rate</text>\n";
  svg += "<text x='15' y='" + std::to_string(margin + size / 2) + "' transform='rotate(-90 15 " +
         std::to_string(margin + size / 2) + ")'>true positive rate</text>\n</svg>\n";
  return svg;
}

}  // namespace da
