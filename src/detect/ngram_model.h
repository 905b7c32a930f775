#pragma once
// A syscall language model: how surprising is each call given the calls before it.
//
// Witten-Bell interpolated n-gram model: P(s | last k calls) mixes the maximum-likelihood
// estimate of every context length 0..order-1, each weighted by how much evidence its context
// has (count / (count + distinct followers)). Surprise = -log P. Unlike STIDE's seen/unseen test
// of fixed windows, it grades rarity and backs off smoothly, so a rare-but-seen sequence scores
// between normal and novel.
//
// Scoring is the hot path (every syscall of a busy host): after finalize() the surprise of every
// (context, next call) pair seen in training is precomputed into one flat hash table, so a
// normal call costs one lookup; only unseen pairs walk the back-off chain.
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace da {

class NgramModel {
 public:
  explicit NgramModel(int order = 7);

  void add_trace(std::span<const int32_t> trace);
  // Adds `count` occurrences of one n-gram: `order()` calls, the last one following the others;
  // contexts shorter than order-1 are padded at the front with kStart. Live profiles keep their
  // n-gram counts and rebuild the model from them.
  void add_ngram(const int32_t* ngram, uint32_t count);
  static constexpr int32_t kStart = -1;  // padding before a trace's first call
  // Builds the lookup tables; add_trace() is not allowed afterwards.
  void finalize();
  bool finalized() const { return finalized_; }
  int order() const { return order_; }
  uint64_t trained_calls() const { return trained_calls_; }

  // Surprise of `next` after exactly order()-1 calls of history (kStart for missing ones).
  float surprise_after(const int32_t* history, int32_t next) const {
    bool seen;
    return surprise_at(history, order_ - 1, next, seen);
  }
  // ...and whether that n-gram (the whole history, then `next`) was seen in training: a call
  // can be rare and still seen (a server's accept among millions of reads).
  float surprise_after(const int32_t* history, int32_t next, bool& seen) const {
    return surprise_at(history, order_ - 1, next, seen);
  }
  // Surprise (natural-log units) of every call of the trace, each given the calls before it.
  void surprise(std::span<const int32_t> trace, std::vector<float>& out) const;
  // Mean surprise of the trace: its per-call perplexity in log units.
  double mean_surprise(std::span<const int32_t> trace) const;

  // Streaming form for live scoring: feeds one call at a time. Keeps the context packed
  // (9 bits per call) as it rolls, so a call seen in training costs one mix and one probe.
  class Stream {
   public:
    explicit Stream(const NgramModel& model);
    float next(int32_t call) {
      bool seen;
      return next(call, seen);
    }
    // `seen`: the call after the last order()-1 calls was seen in training.
    float next(int32_t call, bool& seen);
    // Adds a call to the context without scoring it (to carry a context over to a new model).
    void push(int32_t call);
    void reset();
    // Mean surprise of a whole trace, from a fresh context.
    double mean(std::span<const int32_t> trace);

   private:
    const NgramModel* model_;
    int32_t history_[16] = {};
    int filled_ = 0;
    uint64_t packed_ = 0;  // the last order-1 calls' codes, kStart-padded
  };

 private:
  // `seen`: (history, next) is a training pair of the full order; every other pair backs off.
  float surprise_at(const int32_t* history, int history_len, int32_t next, bool& seen) const;
  // Packed n-grams: 9 bits per call, exact (no hash collisions), when order*9 fits 63 bits and
  // every trained call number is below kOutOfRange.
  static constexpr int kBits = 9;
  static constexpr uint64_t kStartCode = 511;
  static constexpr uint64_t kOutOfRange = 510;  // calls never seen in training land here
  static uint64_t code(int32_t call) {
    return call == kStart ? kStartCode
           : (call >= 0 && call < static_cast<int32_t>(kOutOfRange)) ? static_cast<uint64_t>(call)
                                                                     : kOutOfRange;
  }
  bool lookup_packed(uint64_t packed_ngram, float& out) const;
  // Back-off over flat per-order tables keyed by packed calls (no hashing of call lists, no
  // node-based maps): the path of every call not seen in training.
  float backoff_packed(uint64_t packed_context, uint64_t next_code) const;
  void build_flat_tables();

  // Open addressing, keys are packed calls with the top bit set (0 = empty slot).
  struct FlatTable {
    std::vector<uint64_t> keys;
    std::vector<uint32_t> first, second;  // pairs: count; contexts: total, distinct
    uint64_t mask = 0;
    void reserve(size_t n);
    // The slot of `packed`, inserting it if absent.
    size_t slot_for(uint64_t packed);
    // The slot of `packed`, or -1.
    long find(uint64_t packed) const;
  };
  std::vector<FlatTable> flat_pairs_, flat_contexts_;  // per context length
  float backoff_surprise(const int32_t* history, int history_len, int32_t next) const;

  struct ContextStats {
    uint32_t total = 0;
    uint32_t distinct = 0;
  };
  int order_;
  bool finalized_ = false;
  uint64_t trained_calls_ = 0;
  double vocabulary_ = 1;
  // Counts of (context of length k, next) and of each context, keyed by hashes.
  std::vector<std::unordered_map<uint64_t, uint32_t>> pair_counts_;
  std::vector<std::unordered_map<uint64_t, ContextStats>> context_stats_;
  std::unordered_map<int32_t, uint32_t> symbols_;
  std::vector<int32_t> distinct_ngrams_;  // flattened, `order_` calls each; freed by finalize()
  // Precomputed surprise of every training (full context, next) pair: open addressing.
  std::vector<uint64_t> fast_keys_;
  std::vector<float> fast_values_;
  uint64_t fast_mask_ = 0;
  bool packed_keys_ = false;
  uint64_t context_mask_ = 0;  // (order-1)*9 bits
};

}  // namespace da
