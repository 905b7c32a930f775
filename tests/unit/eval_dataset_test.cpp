// The `eval` command on the shared ADFA-LD subset, when it is present (../shared/datasets, or
// DA_DATASETS). It checks the report's shape and that the engine does much better than chance;
// the measured numbers themselves live in docs/detection.md.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace {

std::string datasets_dir() {
  if (const char* d = std::getenv("DA_DATASETS")) return d;
  return std::string(DA_SOURCE_DIR) + "/../shared/datasets";
}

}  // namespace

TEST(EvalCommand, ReportsTheRequiredKeysOnAdfaLd) {
  const std::string adfa = datasets_dir() + "/adfa-ld";
  if (!std::filesystem::is_directory(adfa)) {
    if (std::getenv("CI")) FAIL() << "CI has the datasets at " << adfa;
    GTEST_SKIP() << "ADFA-LD not found at " << adfa << " (set DA_DATASETS)";
  }
  const std::string cmd = std::string(DA_BINARY) + " eval --json --train " + adfa +
                          "/Training_Data_Master --normal " + adfa +
                          "/Validation_Data_Master --attack " + adfa + "/Attack_Data_Master";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << out;
  auto j = nlohmann::json::parse(out);
  for (const char* key : {"auc", "tpr_at_fpr", "detection_rate", "false_alarm_rate", "threshold",
                          "syscalls_per_second", "traces"})
    EXPECT_TRUE(j.contains(key)) << key;
  for (const char* f : {"0.01", "0.05", "0.10"}) EXPECT_TRUE(j["tpr_at_fpr"].contains(f)) << f;
  EXPECT_EQ(j["traces"]["normal"], 2196);
  EXPECT_EQ(j["traces"]["attack"], 429);
  EXPECT_GT(j["auc"].get<double>(), 0.80);  // STIDE-6's 0.84 is the bar to beat (docs/detection.md)
  EXPECT_GT(j["syscalls_per_second"].get<double>(), 0);
}
