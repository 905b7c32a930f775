#include "detect/ngram_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace da {
namespace {

// Hash of the last `len` calls ending at history[len-1], plus the context length (so contexts
// of different lengths never collide by construction).
inline uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

inline uint64_t context_hash(const int32_t* history, int len) {
  uint64_t h = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(len + 1);
  for (int i = 0; i < len; ++i)
    h = mix(h ^ static_cast<uint32_t>(history[i]) ^ (uint64_t(i) << 40));
  return h;
}

inline uint64_t pair_hash(uint64_t context, int32_t next) {
  return mix(context ^ (static_cast<uint64_t>(static_cast<uint32_t>(next)) << 17) ^ 0x5bd1e995ULL);
}

}  // namespace

NgramModel::NgramModel(int order) : order_(order) {
  if (order < 1 || order > 16) throw std::invalid_argument("n-gram order must be in 1..16");
  pair_counts_.resize(order);
  context_stats_.resize(order);
}

void NgramModel::add_trace(std::span<const int32_t> trace) {
  if (finalized_) throw std::logic_error("NgramModel::add_trace after finalize");
  std::vector<int32_t> padded(order_ - 1, kStart);
  padded.insert(padded.end(), trace.begin(), trace.end());
  for (size_t i = order_ - 1; i < padded.size(); ++i) add_ngram(&padded[i - (order_ - 1)], 1);
}

void NgramModel::add_ngram(const int32_t* ngram, uint32_t count) {
  if (finalized_) throw std::logic_error("NgramModel::add_ngram after finalize");
  if (count == 0) return;
  const int32_t* next_at = ngram + order_ - 1;
  const int32_t next = *next_at;
  symbols_[next] += count;
  trained_calls_ += count;
  // Every shorter context is a suffix of the full one, so one n-gram updates all orders.
  for (int k = 0; k < order_; ++k) {
    const uint64_t ctx = context_hash(next_at - k, k);
    uint32_t& c = pair_counts_[k][pair_hash(ctx, next)];
    ContextStats& s = context_stats_[k][ctx];
    if (c == 0) {
      ++s.distinct;
      // A new full-length n-gram: finalize() precomputes its surprise.
      if (k == order_ - 1) distinct_ngrams_.insert(distinct_ngrams_.end(), ngram, next_at + 1);
    }
    c += count;
    s.total += count;
  }
}

float NgramModel::backoff_surprise(const int32_t* history, int history_len, int32_t next) const {
  // Unseen calls get the add-one share of a vocabulary one larger than seen in training.
  double p = 1.0 / (vocabulary_ + 1.0);
  const int max_k = std::min(history_len, order_ - 1);
  for (int k = 0; k <= max_k; ++k) {
    const int32_t* ctx_start = history + history_len - k;
    const uint64_t ctx = context_hash(ctx_start, k);
    auto s = context_stats_[k].find(ctx);
    if (s == context_stats_[k].end()) break;  // longer contexts are unseen too
    auto c = pair_counts_[k].find(pair_hash(ctx, next));
    const double count = c == pair_counts_[k].end() ? 0.0 : c->second;
    const double lambda = double(s->second.total) / (s->second.total + s->second.distinct);
    p = lambda * count / s->second.total + (1.0 - lambda) * p;
  }
  return static_cast<float>(-std::log(p));
}

void NgramModel::finalize() {
  if (finalized_) return;
  vocabulary_ = static_cast<double>(symbols_.size());
  packed_keys_ = order_ * kBits <= 63;
  for (const auto& [symbol, count] : symbols_)
    if (symbol < 0 || symbol >= static_cast<int32_t>(kOutOfRange)) packed_keys_ = false;
  context_mask_ = (order_ - 1) * kBits >= 64 ? ~0ULL : (1ULL << ((order_ - 1) * kBits)) - 1;
  // Precompute the surprise of every (full context, next) pair seen in training.
  const size_t n = distinct_ngrams_.size() / order_;
  size_t capacity = 16;
  while (capacity < n * 2 + 16) capacity <<= 1;
  fast_keys_.assign(capacity, 0);
  fast_values_.assign(capacity, 0.f);
  fast_mask_ = capacity - 1;
  for (size_t g = 0; g < n; ++g) {
    const int32_t* ngram = &distinct_ngrams_[g * order_];
    uint64_t key;
    size_t slot;
    if (packed_keys_) {
      uint64_t packed = 0;
      for (int i = 0; i < order_; ++i) packed = (packed << kBits) | code(ngram[i]);
      key = packed | (1ULL << 63);  // key 0 marks an empty slot
      slot = mix(packed) & fast_mask_;
    } else {
      key = pair_hash(context_hash(ngram, order_ - 1), ngram[order_ - 1]) | 1;
      slot = key & fast_mask_;
    }
    while (fast_keys_[slot] != 0 && fast_keys_[slot] != key) slot = (slot + 1) & fast_mask_;
    fast_keys_[slot] = key;
    fast_values_[slot] = backoff_surprise(ngram, order_ - 1, ngram[order_ - 1]);
  }
  if (packed_keys_) {
    build_flat_tables();
    // The flat tables answer every back-off from now on; the node-based maps can go.
    pair_counts_.assign(order_, {});
    context_stats_.assign(order_, {});
  }
  distinct_ngrams_.clear();
  distinct_ngrams_.shrink_to_fit();
  finalized_ = true;
}

void NgramModel::FlatTable::reserve(size_t n) {
  size_t capacity = 16;
  while (capacity < n * 2 + 16) capacity <<= 1;
  keys.assign(capacity, 0);
  first.assign(capacity, 0);
  second.assign(capacity, 0);
  mask = capacity - 1;
}

size_t NgramModel::FlatTable::slot_for(uint64_t packed) {
  const uint64_t key = packed | (1ULL << 63);
  size_t slot = mix(packed) & mask;
  while (keys[slot] != 0 && keys[slot] != key) slot = (slot + 1) & mask;
  keys[slot] = key;
  return slot;
}

long NgramModel::FlatTable::find(uint64_t packed) const {
  const uint64_t key = packed | (1ULL << 63);
  for (size_t slot = mix(packed) & mask; keys[slot] != 0; slot = (slot + 1) & mask)
    if (keys[slot] == key) return static_cast<long>(slot);
  return -1;
}

void NgramModel::build_flat_tables() {
  // Every lower-order count is a sum over the full n-grams ending the same way, so the tables
  // are rebuilt from the distinct full n-grams and their counts, exactly as add_ngram counted.
  const size_t n = distinct_ngrams_.size() / order_;
  flat_pairs_.assign(order_, {});
  flat_contexts_.assign(order_, {});
  for (int k = 0; k < order_; ++k) {
    flat_pairs_[k].reserve(std::min(n, static_cast<size_t>(pair_counts_[k].size())));
    flat_contexts_[k].reserve(std::min(n, static_cast<size_t>(context_stats_[k].size())));
  }
  for (size_t g = 0; g < n; ++g) {
    const int32_t* ngram = &distinct_ngrams_[g * order_];
    const int32_t next = ngram[order_ - 1];
    const uint32_t count =
        pair_counts_[order_ - 1].at(pair_hash(context_hash(ngram, order_ - 1), next));
    uint64_t context = 0;  // the last k calls before `next`, packed
    for (int k = 0; k < order_; ++k) {
      if (k > 0) context |= code(ngram[order_ - 1 - k]) << (kBits * (k - 1));
      const uint64_t pair = (context << kBits) | code(next);
      const size_t ps = flat_pairs_[k].slot_for(pair);
      const bool new_pair = flat_pairs_[k].first[ps] == 0;
      flat_pairs_[k].first[ps] += count;
      const size_t cs = flat_contexts_[k].slot_for(context);
      flat_contexts_[k].first[cs] += count;
      if (new_pair) flat_contexts_[k].second[cs] += 1;
    }
  }
}

float NgramModel::backoff_packed(uint64_t packed_context, uint64_t next_code) const {
  double p = 1.0 / (vocabulary_ + 1.0);
  for (int k = 0; k < order_; ++k) {
    const uint64_t context = k == 0 ? 0 : packed_context & ((1ULL << (kBits * k)) - 1);
    const long cs = flat_contexts_[k].find(context);
    if (cs < 0) break;  // longer contexts are unseen too
    const long ps = flat_pairs_[k].find((context << kBits) | next_code);
    const double count = ps < 0 ? 0.0 : flat_pairs_[k].first[ps];
    const double total = flat_contexts_[k].first[cs], distinct = flat_contexts_[k].second[cs];
    const double lambda = total / (total + distinct);
    p = lambda * count / total + (1.0 - lambda) * p;
  }
  return static_cast<float>(-std::log(p));
}

bool NgramModel::lookup_packed(uint64_t packed_ngram, float& out) const {
  const uint64_t key = packed_ngram | (1ULL << 63);
  for (size_t slot = mix(packed_ngram) & fast_mask_; fast_keys_[slot] != 0;
       slot = (slot + 1) & fast_mask_)
    if (fast_keys_[slot] == key) {
      out = fast_values_[slot];
      return true;
    }
  return false;
}

float NgramModel::surprise_at(const int32_t* history, int history_len, int32_t next, bool& seen) const {
  seen = true;
  if (packed_keys_) {
    // A shorter history is padded with start markers, as traces are in training.
    uint64_t packed = 0;
    for (int i = history_len; i < order_ - 1; ++i) packed = (packed << kBits) | kStartCode;
    for (int i = std::max(0, history_len - (order_ - 1)); i < history_len; ++i)
      packed = (packed << kBits) | code(history[i]);
    float s;
    if (lookup_packed((packed << kBits) | code(next), s)) return s;
    seen = false;
    return backoff_packed(packed, code(next));
  } else if (history_len == order_ - 1) {
    // Key 0 marks an empty slot, so keys have their low bit set.
    const uint64_t key = pair_hash(context_hash(history, history_len), next) | 1;
    for (size_t slot = key & fast_mask_; fast_keys_[slot] != 0; slot = (slot + 1) & fast_mask_)
      if (fast_keys_[slot] == key) return fast_values_[slot];
  }
  seen = false;
  return backoff_surprise(history, history_len, next);
}

void NgramModel::surprise(std::span<const int32_t> trace, std::vector<float>& out) const {
  if (!finalized_) throw std::logic_error("NgramModel::surprise before finalize");
  out.resize(trace.size());
  std::vector<int32_t> padded(order_ - 1, kStart);
  padded.insert(padded.end(), trace.begin(), trace.end());
  for (size_t i = 0; i < trace.size(); ++i)
    out[i] = surprise_after(&padded[i], padded[i + order_ - 1]);
}

double NgramModel::mean_surprise(std::span<const int32_t> trace) const {
  if (!finalized_) throw std::logic_error("NgramModel::mean_surprise before finalize");
  if (trace.empty()) return 0.0;
  // The streaming form pads the first calls itself: no per-trace copy or buffer.
  Stream stream(*this);
  return stream.mean(trace);
}

double NgramModel::Stream::mean(std::span<const int32_t> trace) {
  reset();
  if (trace.empty()) return 0.0;
  double sum = 0;
  for (int32_t call : trace) sum += next(call);
  return sum / static_cast<double>(trace.size());
}

NgramModel::Stream::Stream(const NgramModel& model) : model_(&model) { reset(); }

void NgramModel::Stream::reset() {
  filled_ = 0;
  packed_ = 0;
  for (int i = 0; i < model_->order_ - 1; ++i) packed_ = (packed_ << kBits) | kStartCode;
}

void NgramModel::Stream::push(int32_t call) {
  const int keep = model_->order_ - 1;
  packed_ = ((packed_ << kBits) | code(call)) & model_->context_mask_;
  if (keep == 0) return;
  if (filled_ < keep) {
    history_[filled_++] = call;
  } else {
    for (int i = 1; i < keep; ++i) history_[i - 1] = history_[i];
    history_[keep - 1] = call;
  }
}

float NgramModel::Stream::next(int32_t call, bool& seen) {
  float s;
  if (model_->packed_keys_) {
    // One probe for a pair seen in training; otherwise the back-off over the flat tables.
    const uint64_t ngram = (packed_ << kBits) | code(call);
    seen = model_->lookup_packed(ngram, s);
    if (!seen) s = model_->backoff_packed(packed_, code(call));
  } else {
    // Before order-1 calls were seen, the context is padded with start markers as in training.
    const int keep = model_->order_ - 1;
    int32_t padded[16];
    const int pad = keep - filled_;
    for (int i = 0; i < pad; ++i) padded[i] = kStart;
    for (int i = 0; i < filled_; ++i) padded[pad + i] = history_[i];
    s = model_->surprise_at(padded, keep, call, seen);
  }
  push(call);
  return s;
}

}  // namespace da
