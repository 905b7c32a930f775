#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "detect/ngram_model.h"

namespace da {
namespace {

NgramModel trained(int order) {
  NgramModel m(order);
  // A "program" that loops open-read-close, then exits.
  for (int rep = 0; rep < 20; ++rep) {
    std::vector<int32_t> t;
    for (int i = 0; i < 30; ++i) t.insert(t.end(), {2, 0, 0, 3});
    t.push_back(60);
    m.add_trace(t);
  }
  m.finalize();
  return m;
}

}  // namespace

TEST(NgramModel, NormalIsLessSurprisingThanNovel) {
  NgramModel m = trained(4);
  std::vector<int32_t> normal;
  for (int i = 0; i < 10; ++i) normal.insert(normal.end(), {2, 0, 0, 3});
  std::vector<int32_t> novel = normal;
  novel.insert(novel.begin() + 20, {59, 42, 33, 33});  // execve, connect, dup2, dup2
  EXPECT_LT(m.mean_surprise(normal), 0.5);
  EXPECT_GT(m.mean_surprise(novel), m.mean_surprise(normal) + 0.5);
  std::vector<float> s;
  m.surprise(novel, s);
  ASSERT_EQ(s.size(), novel.size());
  EXPECT_GT(s[20], 3.0);  // the first unseen call
  EXPECT_LT(s[5], 0.5);
}

TEST(NgramModel, RareButSeenScoresBetweenNormalAndUnseen) {
  NgramModel m(3);
  for (int i = 0; i < 50; ++i) m.add_trace(std::vector<int32_t>{1, 2, 3});
  m.add_trace(std::vector<int32_t>{1, 2, 4});
  m.finalize();
  std::vector<float> common, rare, unseen;
  m.surprise(std::vector<int32_t>{1, 2, 3}, common);
  m.surprise(std::vector<int32_t>{1, 2, 4}, rare);
  m.surprise(std::vector<int32_t>{1, 2, 5}, unseen);
  EXPECT_LT(common[2], rare[2]);
  EXPECT_LT(rare[2], unseen[2]);
  // Rare is still seen: the probe says which pairs were learned, whatever their surprise.
  const int32_t context[2] = {1, 2};
  bool seen = false;
  EXPECT_FLOAT_EQ(m.surprise_after(context, 4, seen), rare[2]);
  EXPECT_TRUE(seen);
  EXPECT_FLOAT_EQ(m.surprise_after(context, 5, seen), unseen[2]);
  EXPECT_FALSE(seen);
  // The streaming scorer agrees, from a trace's start (padded as in training).
  for (int32_t last : {4, 5}) {
    NgramModel::Stream stream(m);
    for (int32_t call : {1, 2}) {
      stream.next(call, seen);
      EXPECT_TRUE(seen) << call;
    }
    stream.next(last, seen);
    EXPECT_EQ(seen, last == 4);
  }
}

TEST(NgramModel, FastPathAgreesWithStreamingAndBackoff) {
  NgramModel m = trained(5);
  std::vector<int32_t> t{2, 0, 0, 3, 2, 0, 7, 3, 2, 0, 0, 3, 60};
  std::vector<float> batch;
  m.surprise(t, batch);
  NgramModel::Stream stream(m);
  for (size_t i = 0; i < t.size(); ++i) EXPECT_NEAR(stream.next(t[i]), batch[i], 1e-5) << i;
}

TEST(NgramModel, ProbabilitiesOfEachContextSumToOne) {
  NgramModel m = trained(3);
  // Over every symbol seen plus one unseen, P(next | context) sums to at most 1: the rest is
  // the mass reserved for symbols never seen.
  for (auto ctx : {std::vector<int32_t>{2, 0}, std::vector<int32_t>{0, 3}, std::vector<int32_t>{9, 9}}) {
    double total = 0;
    for (int32_t next : {0, 2, 3, 60}) {
      std::vector<int32_t> t = ctx;
      t.push_back(next);
      std::vector<float> s;
      m.surprise(t, s);
      total += std::exp(-s.back());
    }
    EXPECT_LE(total, 1.0 + 1e-6);
    EXPECT_GT(total, 0.5);
  }
}

TEST(NgramModel, MisuseIsRejected) {
  EXPECT_THROW(NgramModel(0), std::invalid_argument);
  NgramModel m(3);
  std::vector<float> s;
  EXPECT_THROW(m.surprise(std::vector<int32_t>{1}, s), std::logic_error);
  m.finalize();
  EXPECT_THROW(m.add_trace(std::vector<int32_t>{1}), std::logic_error);
  EXPECT_EQ(m.mean_surprise({}), 0.0);
}

}  // namespace da

namespace da {

// An independent, slow Witten-Bell implementation straight from the definition, to check the
// fast tables (packed keys, flat back-off tables) against.
class ReferenceWittenBell {
 public:
  explicit ReferenceWittenBell(int order) : order_(order) {}
  void add(const std::vector<int32_t>& trace) {
    std::vector<int32_t> padded(order_ - 1, -1);
    padded.insert(padded.end(), trace.begin(), trace.end());
    for (size_t i = order_ - 1; i < padded.size(); ++i) {
      vocabulary_.insert(padded[i]);
      for (int k = 0; k < order_; ++k) {
        std::vector<int32_t> ctx(padded.begin() + i - k, padded.begin() + i);
        if (pairs_[{ctx, padded[i]}]++ == 0) ++distinct_[ctx];
        ++total_[ctx];
      }
    }
  }
  double surprise(const std::vector<int32_t>& history, int32_t next) const {
    double p = 1.0 / (vocabulary_.size() + 1.0);
    for (int k = 0; k < order_; ++k) {
      std::vector<int32_t> ctx(history.end() - k, history.end());
      auto t = total_.find(ctx);
      if (t == total_.end()) break;
      auto c = pairs_.find({ctx, next});
      const double count = c == pairs_.end() ? 0 : c->second;
      const double lambda = double(t->second) / (t->second + distinct_.at(ctx));
      p = lambda * count / t->second + (1 - lambda) * p;
    }
    return -std::log(p);
  }

 private:
  int order_;
  std::set<int32_t> vocabulary_;
  std::map<std::pair<std::vector<int32_t>, int32_t>, uint64_t> pairs_;
  std::map<std::vector<int32_t>, uint64_t> total_, distinct_;
};

TEST(NgramModel, FastTablesAgreeWithTheDefinition) {
  std::mt19937 rng(7);
  for (int order : {3, 6, 7}) {
    NgramModel model(order);
    ReferenceWittenBell reference(order);
    for (int t = 0; t < 30; ++t) {
      std::vector<int32_t> trace;
      int32_t call = 0;
      for (int i = 0; i < 200; ++i) trace.push_back(call = (call * 5 + 1 + rng() % 4) % 23);
      model.add_trace(trace);
      reference.add(trace);
    }
    model.finalize();
    // Seen and unseen calls and contexts, including calls the training never had.
    NgramModel::Stream stream(model);
    std::vector<int32_t> history(order - 1, -1);
    for (int i = 0; i < 3000; ++i) {
      const int32_t call = static_cast<int32_t>(rng() % 30);
      const double expected = reference.surprise(history, call);
      EXPECT_NEAR(stream.next(call), expected, 1e-3 * std::max(1.0, expected)) << "order " << order << " call " << i;
      history.erase(history.begin());
      history.push_back(call);
    }
  }
}

}  // namespace da
