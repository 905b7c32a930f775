#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "eval/roc.h"
#include "eval/trace_dataset.h"

namespace da {

TEST(Roc, AucOfPerfectRandomAndTiedScores) {
  EXPECT_DOUBLE_EQ(roc_auc({1, 2, 3}, {4, 5}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc({4, 5}, {1, 2, 3}), 0.0);
  EXPECT_DOUBLE_EQ(roc_auc({1, 1}, {1, 1}), 0.5);
  EXPECT_DOUBLE_EQ(roc_auc({1, 3}, {2, 4}), 0.75);
}

TEST(Roc, TprAtFprAndRates) {
  std::vector<double> normal{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<double> attack{5.5, 8.5, 10, 11};
  EXPECT_DOUBLE_EQ(tpr_at_fpr(normal, attack, 0.0), 0.5);   // above 9: 10, 11
  EXPECT_DOUBLE_EQ(tpr_at_fpr(normal, attack, 0.10), 0.75);  // above 8: 8.5 too
  EXPECT_DOUBLE_EQ(rate_above(normal, 7), 0.2);
  EXPECT_DOUBLE_EQ(quantile(normal, 0.9), 8);
  auto curve = roc_curve(normal, attack);
  EXPECT_EQ(curve.front().fpr, 0);
  EXPECT_EQ(curve.back().tpr, 1);
  EXPECT_NE(roc_svg(curve, 0.9, "t").find("<polyline"), std::string::npos);
}

TEST(Roc, ThePlotHasTicksAGridAndTheOperatingPoint) {
  // Issue 12: the plot had no ticks, no grid and no mark where the engine runs.
  const std::vector<RocPoint> curve{{0, 0}, {0.1, 0.8}, {1, 1}};
  const std::string svg = roc_svg(curve, 0.9, "<attack> & normal", OperatingPoint{0.1, 0.8, "threshold 3.200"});
  for (const char* tick : {">0.0<", ">0.2<", ">0.4<", ">0.6<", ">0.8<", ">1.0<"})
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  EXPECT_NE(svg.find("stroke='#eee'"), std::string::npos) << "grid";
  EXPECT_NE(svg.find("<circle"), std::string::npos);
  EXPECT_NE(svg.find("threshold 3.200: TPR 0.800 at FPR 0.100"), std::string::npos);
  EXPECT_NE(svg.find("&lt;attack&gt; &amp; normal"), std::string::npos) << "the title is escaped";
  EXPECT_EQ(roc_svg(curve, 0.9, "t").find("<circle"), std::string::npos);
}

TEST(TraceDataset, LoadsAdfaAndUnmAndRejectsBadFiles) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "da-dataset-test";
  fs::remove_all(dir);
  fs::create_directories(dir / "adfa" / "Family_1");
  std::ofstream(dir / "adfa" / "a.txt") << "3 4 5 252 \n";
  std::ofstream(dir / "adfa" / "Family_1" / "b=1.txt") << "11 1\n";
  auto adfa = load_traces((dir / "adfa").string(), DatasetFormat::kAdfa);
  ASSERT_TRUE(adfa) << adfa.error().message;
  ASSERT_EQ(adfa->size(), 2u);
  EXPECT_EQ((*adfa)[0].calls, (std::vector<int32_t>{11, 1}));  // sorted by path: Family_1/ < a.txt
  EXPECT_EQ((*adfa)[1].calls.size(), 4u);

  fs::create_directories(dir / "unm");
  std::ofstream(dir / "unm" / "x.int") << "10 4\n11 5\n10 6\n\n11 7\n";
  auto unm = load_traces((dir / "unm").string(), DatasetFormat::kUnm);
  ASSERT_TRUE(unm) << unm.error().message;
  ASSERT_EQ(unm->size(), 2u);
  EXPECT_EQ((*unm)[0].calls, (std::vector<int32_t>{4, 6}));
  EXPECT_EQ((*unm)[1].calls, (std::vector<int32_t>{5, 7}));

  std::ofstream(dir / "adfa" / "bad.txt") << "3 x 5\n";
  auto bad = load_traces((dir / "adfa").string(), DatasetFormat::kAdfa);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad.txt"), std::string::npos);
  EXPECT_FALSE(load_traces((dir / "missing").string(), DatasetFormat::kAdfa));
  fs::remove_all(dir);
}

}  // namespace da
