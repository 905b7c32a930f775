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

namespace {

std::string xml_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string roc_svg(const std::vector<RocPoint>& curve, double auc, const std::string& title,
                    const std::optional<OperatingPoint>& operating) {
  const int size = 400, left = 60, top = 50, bottom = 60, right = 30;
  auto x = [&](double f) { return left + f * size; };
  auto y = [&](double t) { return top + (1 - t) * size; };
  char buf[512];
  std::string svg;
  std::snprintf(buf, sizeof buf,
                "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                "font-family='sans-serif' font-size='12'>\n"
                "<rect width='100%%' height='100%%' fill='white'/>\n",
                left + size + right, top + size + bottom);
  svg += buf;
  svg += "<text x='" + std::to_string(left) + "' y='25' font-size='14'>" + xml_escaped(title) + "</text>\n";
  std::snprintf(buf, sizeof buf, "<text x='%d' y='42' fill='#555'>ROC AUC %.4f</text>\n", left, auc);
  svg += buf;
  // Grid and ticks every 0.1, labelled every 0.2.
  for (int i = 0; i <= 10; ++i) {
    const double v = i / 10.0;
    std::snprintf(buf, sizeof buf,
                  "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#eee'/>\n"
                  "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#eee'/>\n",
                  x(v), top, x(v), top + size, left, y(v), left + size, y(v));
    svg += buf;
    if (i % 2 == 0) {
      std::snprintf(buf, sizeof buf,
                    "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='black'/>"
                    "<text x='%.1f' y='%d' text-anchor='middle'>%.1f</text>\n"
                    "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='black'/>"
                    "<text x='%d' y='%.1f' text-anchor='end'>%.1f</text>\n",
                    x(v), top + size, x(v), top + size + 5, x(v), top + size + 18, v,
                    left - 5, y(v), left, y(v), left - 8, y(v) + 4, v);
      svg += buf;
    }
  }
  std::snprintf(buf, sizeof buf,
                "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='black'/>\n"
                "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#bbb' stroke-dasharray='4'/>\n",
                left, top, size, size, x(0), y(0), x(1), y(1));
  svg += buf;
  std::string points;
  for (const auto& p : curve) {
    std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x(p.fpr), y(p.tpr));
    points += buf;
  }
  svg += "<polyline fill='none' stroke='#c0392b' stroke-width='2' points='" + points + "'/>\n";
  if (operating) {
    // The engine's own threshold: where it actually runs on the curve.
    const bool right_half = operating->fpr > 0.5;
    std::snprintf(buf, sizeof buf,
                  "<circle cx='%.1f' cy='%.1f' r='5' fill='#2c3e50'/>\n"
                  "<text x='%.1f' y='%.1f' text-anchor='%s'>%s: TPR %.3f at FPR %.3f</text>\n",
                  x(operating->fpr), y(operating->tpr), x(operating->fpr) + (right_half ? -9 : 9),
                  y(operating->tpr) + 16, right_half ? "end" : "start", xml_escaped(operating->label).c_str(),
                  operating->tpr, operating->fpr);
    svg += buf;
  }
  std::snprintf(buf, sizeof buf,
                "<text x='%d' y='%d' text-anchor='middle'>false positive rate (normal traces alerted)</text>\n"
                "<text x='16' y='%d' text-anchor='middle' transform='rotate(-90 16 %d)'>true positive rate "
                "(attack traces alerted)</text>\n</svg>\n",
                left + size / 2, top + size + 45, top + size / 2, top + size / 2);
  svg += buf;
  return svg;
}

}  // namespace da
