#include <gtest/gtest.h>

#include <cmath>

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
