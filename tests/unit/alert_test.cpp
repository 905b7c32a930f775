// Alert formatting and delivery: JSON fields, the JSON lines file, retries of a failing sink,
// and a slow sink not holding up the others.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "alert/alert_dispatcher.h"
#include "alert/alert_format.h"
#include "alert/json_lines_sink.h"

namespace da {
namespace {

Anomaly sample() {
  Anomaly a;
  a.time_ns = 1'795'000'000'123'000'000ULL;
  a.host = "host1";
  a.container_id = std::string(64, 'a');
  a.container_name = "web";
  a.image = "shop/web:1.0";
  a.image_id = "sha256:abcdef";
  a.process.pid = 42;
  a.process.comm = "cat";
  a.process.exe = "/bin/busybox";
  a.process.cmdline = {"cat", "/etc/shadow"};
  a.kind = AnomalyKind::kFile;
  a.severity = Severity::kHigh;
  a.subject = "/etc/shadow";
  a.explanation = "cat opened /etc/shadow for reading";
  return a;
}

class FlakySink final : public AlertSink {
 public:
  explicit FlakySink(int failures) : failures_(failures) {}
  std::string name() const override { return "flaky"; }
  Status deliver(const Anomaly&) override {
    ++attempts;
    if (failures_-- > 0) return Error{"server down"};
    ++delivered;
    return ok_status();
  }
  std::atomic<int> attempts{0}, delivered{0};

 private:
  int failures_;
};

class SlowSink final : public AlertSink {
 public:
  std::string name() const override { return "slow"; }
  Status deliver(const Anomaly&) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return ok_status();
  }
};

}  // namespace

TEST(AlertFormat, JsonHasEveryField) {
  auto j = anomaly_to_json(sample());
  for (const char* key : {"time", "host", "container_id", "container_name", "image", "pid", "comm",
                          "exe", "kind", "score", "explanation"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["time"], "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(j["kind"], "file");
  EXPECT_EQ(j["cmdline"][1], "/etc/shadow");
  EXPECT_EQ(alert_title(sample()), "[docker-anomalies] high anomaly in web (shop/web:1.0) on host1");
  EXPECT_NE(alert_text(sample()).find("cat /etc/shadow"), std::string::npos);
}

TEST(AlertSinks, JsonLinesFileGetsOneLinePerAlert) {
  const std::string path = ::testing::TempDir() + "alerts-" + std::to_string(getpid()) + ".jsonl";
  std::filesystem::remove(path);
  {
    auto sink = JsonLinesSink::open(path);
    ASSERT_TRUE(sink) << sink.error().message;
    ASSERT_TRUE((*sink)->deliver(sample()));
    ASSERT_TRUE((*sink)->deliver(sample()));
  }
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["priority"], "Critical") << "Falco-compatible: " << line;
    EXPECT_EQ(j["output_fields"]["subject"], "/etc/shadow");
    ++n;
  }
  EXPECT_EQ(n, 2);
  std::filesystem::remove(path);
  // A missing directory is made (a fresh install has no /var/log/docker-anomalies/ yet)...
  const auto dir = std::filesystem::temp_directory_path() / ("da-json-dir-" + std::to_string(getpid()));
  EXPECT_TRUE(JsonLinesSink::open((dir / "sub" / "alerts.jsonl").string()));
  EXPECT_TRUE(std::filesystem::exists(dir / "sub" / "alerts.jsonl"));
  std::filesystem::remove_all(dir);
  // ...but a path that cannot be one is a clear error.
  auto refused = JsonLinesSink::open("/dev/null/alerts.jsonl");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("/dev/null/alerts.jsonl"), std::string::npos) << refused.error().message;
}

TEST(AlertDispatcher, RetriesAFailingSinkAndKeepsOthersFlowing) {
  std::vector<std::string> log;
  std::mutex log_mutex;
  DispatcherSettings settings;
  settings.first_retry = std::chrono::milliseconds(10);
  AlertDispatcher dispatcher(
      [&](const std::string& m) {
        std::lock_guard lock(log_mutex);
        log.push_back(m);
      },
      settings);
  auto flaky = std::make_unique<FlakySink>(2);
  FlakySink* flaky_ptr = flaky.get();
  dispatcher.add_sink(std::move(flaky));
  dispatcher.add_sink(std::make_unique<SlowSink>());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) dispatcher.publish(sample());
  // publish() only queues: the slow sink does not hold up the caller.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  dispatcher.finish();
  EXPECT_EQ(flaky_ptr->delivered, 3);
  EXPECT_EQ(flaky_ptr->attempts, 5);
  for (const auto& s : dispatcher.stats()) EXPECT_EQ(s.failed, 0u) << s.name;
}

TEST(AlertDispatcher, GivingUpIsCountedAndLogged) {
  std::vector<std::string> log;
  std::mutex log_mutex;
  DispatcherSettings settings;
  settings.first_retry = std::chrono::milliseconds(1);
  settings.max_attempts = 3;
  AlertDispatcher dispatcher(
      [&](const std::string& m) {
        std::lock_guard lock(log_mutex);
        log.push_back(m);
      },
      settings);
  dispatcher.add_sink(std::make_unique<FlakySink>(100));
  dispatcher.publish(sample());
  dispatcher.finish();
  ASSERT_EQ(dispatcher.stats().size(), 1u);
  EXPECT_EQ(dispatcher.stats()[0].failed, 1u);
  EXPECT_NE(log.back().find("not delivered"), std::string::npos);
}

}  // namespace da
