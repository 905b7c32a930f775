#pragma once
// Training the sequence model on dataset traces, and the operating threshold from training
// data only: k-fold held-out scores of the training traces at the quantile that targets the
// wanted false-alarm rate (what `eval` reports rates at).
#include <functional>
#include <vector>

#include "detect/ngram_model.h"
#include "eval/trace_dataset.h"

namespace da {

NgramModel train_model(const std::vector<const Trace*>& traces, int order);

// `progress(folds_done)` is called after each fold (long work shows progress).
double calibrate_threshold(const std::vector<Trace>& training, int order, double quantile_q,
                           int folds, const std::function<void(int)>& progress = {});

}  // namespace da
