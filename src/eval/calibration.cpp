#include "eval/calibration.h"

#include "eval/roc.h"

namespace da {

NgramModel train_model(const std::vector<const Trace*>& traces, int order) {
  NgramModel model(order);
  for (const Trace* t : traces) model.add_trace(t->calls);
  model.finalize();
  return model;
}

double calibrate_threshold(const std::vector<Trace>& training, int order, double quantile_q,
                           int folds, const std::function<void(int)>& progress) {
  std::vector<double> held_out;
  for (int f = 0; f < folds; ++f) {
    std::vector<const Trace*> fit;
    for (size_t i = 0; i < training.size(); ++i)
      if (static_cast<int>(i % folds) != f) fit.push_back(&training[i]);
    NgramModel model = train_model(fit, order);
    NgramModel::Stream stream(model);
    for (size_t i = f; i < training.size(); i += folds)
      held_out.push_back(stream.mean(training[i].calls));
    if (progress) progress(f + 1);
  }
  return quantile(held_out, quantile_q);
}

}  // namespace da
