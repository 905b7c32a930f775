// `eval`: trains the sequence model on normal traces, scores held-out normal and attack traces,
// and reports detection quality (ROC AUC, TPR at fixed FPR, rates at the engine's own
// threshold) and scoring throughput.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "core/console.h"
#include "core/json_text.h"
#include "detect/ngram_model.h"
#include "eval/calibration.h"
#include "eval/roc.h"
#include "eval/trace_dataset.h"

namespace da {
namespace {

// A progress bar on a terminal; silent when stderr is a file or pipe.
class Progress {
 public:
  Progress(std::string label, size_t total)
      : label_(std::move(label)), total_(total), tty_(isatty(2)) {}
  void step(size_t done) {
    if (!tty_ || total_ == 0) return;
    const int percent = static_cast<int>(100 * done / total_);
    if (percent == last_ && done != total_) return;
    last_ = percent;
    const int width = 30, filled = percent * width / 100;
    std::fprintf(stderr, "\r%-28s [%.*s%*s] %3d%%", label_.c_str(), filled,
                 "##############################", width - filled, "", percent);
    if (done == total_) std::fputc('\n', stderr);
  }

 private:
  std::string label_;
  size_t total_;
  bool tty_;
  int last_ = -1;
};

}  // namespace

int eval_command(const EvalOptions& o) {
  Console console;
  const DatasetFormat format = o.format == "unm" ? DatasetFormat::kUnm : DatasetFormat::kAdfa;
  auto training = load_traces(o.train_dir, format);
  auto normal = training ? load_traces(o.normal_dir, format) : training;
  auto attack = normal ? load_traces(o.attack_dir, format) : normal;
  for (const auto* r : {&training, &normal, &attack}) {
    if (!*r) {
      console.error(r->error().message);
      return 2;
    }
  }

  Progress calibrating("calibrating threshold", 5);
  const double threshold = calibrate_threshold(*training, o.order, o.threshold_quantile, 5,
                                               [&](int folds) { calibrating.step(folds); });
  std::vector<const Trace*> all_training;
  for (const auto& t : *training) all_training.push_back(&t);
  const NgramModel model = train_model(all_training, o.order);

  // Scoring throughput counts the scoring alone, the engine's per-syscall hot path.
  uint64_t calls = 0;
  std::chrono::duration<double> scoring_time{0};
  auto score_all = [&](const std::vector<Trace>& traces, const char* label) {
    std::vector<double> scores;
    NgramModel::Stream stream(model);
    Progress progress(label, traces.size());
    for (size_t i = 0; i < traces.size(); ++i) {
      const auto start = std::chrono::steady_clock::now();
      scores.push_back(stream.mean(traces[i].calls));
      scoring_time += std::chrono::steady_clock::now() - start;
      calls += traces[i].calls.size();
      progress.step(i + 1);
    }
    return scores;
  };
  const auto normal_scores = score_all(*normal, "scoring normal traces");
  const auto attack_scores = score_all(*attack, "scoring attack traces");

  const double auc = roc_auc(normal_scores, attack_scores);
  nlohmann::ordered_json result = {
      {"auc", auc},
      {"tpr_at_fpr",
       {{"0.01", tpr_at_fpr(normal_scores, attack_scores, 0.01)},
        {"0.05", tpr_at_fpr(normal_scores, attack_scores, 0.05)},
        {"0.10", tpr_at_fpr(normal_scores, attack_scores, 0.10)}}},
      {"detection_rate", rate_above(attack_scores, threshold)},
      {"false_alarm_rate", rate_above(normal_scores, threshold)},
      {"threshold", threshold},
      {"syscalls_per_second", scoring_time.count() > 0 ? calls / scoring_time.count() : 0.0},
      {"traces", {{"train", training->size()}, {"normal", normal->size()}, {"attack", attack->size()}}},
      {"model", {{"kind", "witten-bell n-gram"}, {"order", o.order}, {"score", "mean surprise"},
                 {"threshold_quantile", o.threshold_quantile}}},
  };
  if (!o.roc_svg.empty()) {
    std::ofstream svg(o.roc_svg);
    char label[64];
    std::snprintf(label, sizeof label, "threshold %.3f", threshold);
    svg << roc_svg(roc_curve(normal_scores, attack_scores), auc,
                   "docker-anomalies eval: " + o.attack_dir + " vs " + o.normal_dir,
                   OperatingPoint{result["false_alarm_rate"].get<double>(), result["detection_rate"].get<double>(), label});
    svg.flush();
    if (!svg) {
      console.error("cannot write the ROC curve to " + o.roc_svg);
      return 1;
    }
    console.info("ROC curve written to " + o.roc_svg);
  }
  if (o.json) {
    console.line(json_text(result));
    return 0;
  }
  char text[1024];
  std::snprintf(text, sizeof text,
                "traces: %zu training, %zu normal, %zu attack\n"
                "ROC AUC: %.4f\n"
                "TPR at FPR 1%%: %.3f   5%%: %.3f   10%%: %.3f\n"
                "at the engine's threshold %.4f (training quantile %.3f): detection rate %.3f, "
                "false-alarm rate %.3f\n"
                "scoring: %.1f M syscalls/s",
                training->size(), normal->size(), attack->size(), auc,
                result["tpr_at_fpr"]["0.01"].get<double>(), result["tpr_at_fpr"]["0.05"].get<double>(),
                result["tpr_at_fpr"]["0.10"].get<double>(), threshold, o.threshold_quantile,
                result["detection_rate"].get<double>(), result["false_alarm_rate"].get<double>(),
                result["syscalls_per_second"].get<double>() / 1e6);
  console.line(text);
  return 0;
}

}  // namespace da
