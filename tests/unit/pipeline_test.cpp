// The whole pipeline without root, Docker or Redis: recorded events replayed by the replay
// backend -> EventChannel -> BatchShipper -> in-process queue -> EventConsumer ->
// DetectionPipeline (detector, noise gate, dispatcher) -> the JSON alert file. The same
// objects `run` wires, so what these tests see is what a user's agent does.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "app/detection_pipeline.h"
#include "capture/replay_backend.h"
#include "core/clock.h"
#include "core/console.h"
#include "detect/detector.h"
#include "detect/profile_store.h"
#include "synthetic_events.h"
#include "syscalls/event_json.h"
#include "transport/batch_shipper.h"
#include "transport/event_consumer.h"
#include "transport/inprocess_queue.h"
#include "transport/stream_shards.h"

namespace da {
namespace {

namespace fs = std::filesystem;

const ContainerMeta kWeb{"web", "shop/web:1.0", "sha256:aaaa0000000000000000000000000000"};

// The learned workload: open a config file, read it, write a line, sleep.
void steady(std::vector<SyscallEvent>& out, int64_t second, int loops, int32_t pid = 100) {
  using synthetic::call;
  for (int i = 0; i < loops; ++i) {
    out.push_back(call(second, pid, SYS_openat, {int64_t{-100}, std::string("/etc/app.conf"), int64_t{O_RDONLY}, uint64_t{0}}, 3));
    out.push_back(call(second, pid, SYS_read, {uint64_t{3}, uint64_t{0}, uint64_t{4096}}, 120));
    out.push_back(call(second, pid, SYS_close, {uint64_t{3}}));
    out.push_back(call(second, pid, SYS_write, {uint64_t{1}, uint64_t{0}, uint64_t{10}}, 10));
    out.push_back(call(second, pid, SYS_nanosleep, {uint64_t{0}, uint64_t{0}}));
  }
}

// A shell started in the container that reads the password hashes.
void attack(std::vector<SyscallEvent>& out, int64_t second) {
  using synthetic::call;
  out.push_back(call(second, 200, SYS_execve,
                     {std::string("/bin/sh"), std::vector<std::string>{"sh", "-c", "cat /etc/shadow"}, uint64_t{0}},
                     0, "sh", "/bin/sh"));
  out.push_back(call(second, 200, SYS_openat, {int64_t{-100}, std::string("/etc/shadow"), int64_t{O_RDONLY}, uint64_t{0}},
                     3, "sh", "/bin/sh"));
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("da-pipeline-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    options_.state_dir = (dir_ / "state").string();
    options_.alerts.json_file = (dir_ / "alerts.jsonl").string();
    options_.progress_interval_seconds = 100000;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A stable profile of the steady workload in the state dir, learned an hour ago.
  void learn_stable_profile() {
    ProfileStore store(options_.state_dir);
    ASSERT_TRUE(store.prepare());
    DetectorConfig config;
    config.learning.min_seconds = 10;
    config.learning.max_seconds = 100;
    config.learning.novelty = 1e-2;
    config.learning.idle_seconds = 5;
    config.progress_interval_seconds = 100000;
    int64_t now = unix_seconds() - 3600;
    Detector d(config, &store, [](const Anomaly&) {}, [](const std::string&) {}, [&] { return now; });
    for (int second = 0; second < 12; ++second, ++now) {
      std::vector<SyscallEvent> events;
      steady(events, now, 100);
      for (const auto& e : events) d.observe(e, "host1", kWeb);
      d.tick();
    }
    ASSERT_EQ(d.profile(kWeb.image_id)->state, ProfileState::kStable);
    ASSERT_TRUE(d.save_all().empty());
  }

  // Writes the events as `run --print-syscalls` prints them, so the replay reads a recording.
  std::string record(const std::vector<SyscallEvent>& events) {
    const std::string path = (dir_ / "recording.jsonl").string();
    std::ofstream out(path);
    for (const auto& e : events) out << event_to_json(e).dump() << "\n";
    return path;
  }

  struct Outcome {
    uint64_t captured = 0;
    uint64_t consumed = 0;
    std::vector<nlohmann::json> alerts;
    std::string summary;
  };

  // Runs the recording through the pipeline as `run` wires it. `known` says whether the
  // container's name and image are known (as Docker would tell the agent).
  Outcome run(const std::string& recording, std::function<std::optional<ContainerMeta>()> known,
              uint64_t backend_losses = 0) {
    Outcome o;
    auto events = ReplayBackend::load(recording);
    EXPECT_TRUE(events) << (events ? "" : events.error().message);
    if (!events) return o;
    Console console;
    EventChannel channel(64);
    InProcessQueue queue;
    auto warn = [](const std::string& m) { ADD_FAILURE() << m; };
    BatchShipper shipper(channel, queue, "host1", "agent-1", warn);
    shipper.set_container_lookup([&](const std::string&) { return known(); });
    shipper.set_backend_losses([=] { return backend_losses; });
    EventConsumer consumer(queue, warn);
    consumer.recycle_into(channel.pool());
    auto detection = DetectionPipeline::create(options_, console);
    EXPECT_TRUE(detection) << (detection ? "" : detection.error().message);
    if (!detection) return o;
    consumer.add_handler(**detection);
    ReplayBackend replay(channel, std::move(*events));
    shipper.start();
    consumer.start();
    EXPECT_TRUE(replay.start());
    replay.wait_replayed();
    replay.stop();
    shipper.finish();  // closes the channel, ships the rest
    consumer.finish();
    o.summary = (*detection)->finish();
    o.captured = channel.captured();
    o.consumed = consumer.events();
    std::ifstream alerts(options_.alerts.json_file);
    for (std::string line; std::getline(alerts, line);) {
      const auto j = nlohmann::json::parse(line);
      EXPECT_TRUE(j.contains("rule") && j.contains("priority")) << "Falco-compatible: " << line;
      o.alerts.push_back(j["output_fields"]);  // our fields are inside
    }
    return o;
  }

  fs::path dir_;
  DetectionOptions options_;
};

TEST_F(PipelineTest, ARecordedAttackOnALearnedImageIsAlertedAndTheWorkloadIsNot) {
  learn_stable_profile();
  std::vector<SyscallEvent> events;
  const int64_t now = unix_seconds();
  steady(events, now, 400);
  attack(events, now);
  steady(events, now, 100);
  const Outcome o = run(record(events), [] { return kWeb; });

  EXPECT_EQ(o.captured, events.size());
  EXPECT_EQ(o.consumed, events.size()) << "every replayed event reaches the detector";
  ASSERT_FALSE(o.alerts.empty()) << o.summary;
  bool shell = false, shadow = false;
  for (const auto& a : o.alerts) {
    EXPECT_EQ(a["image"], kWeb.image) << a.dump();
    EXPECT_EQ(a["container_name"], kWeb.name) << a.dump();
    EXPECT_EQ(a["pid"], 200) << "only the attacking process is reported: " << a.dump();
    shell |= a["kind"] == "program" && a["subject"] == "/bin/sh";
    shadow |= a["subject"].get<std::string>().find("/etc/shadow") != std::string::npos;
  }
  EXPECT_TRUE(shell) << o.alerts.front().dump();
  EXPECT_TRUE(shadow) << o.alerts.front().dump();
}

TEST_F(PipelineTest, EventsThatArriveBeforeTheirContainerIsKnownAreJudgedOnceItIs) {
  // The eBPF backend sees a container's first calls before Docker's start event is inspected:
  // those batches carry no metadata. They wait, and are judged in order once it comes.
  learn_stable_profile();
  std::vector<SyscallEvent> events;
  const int64_t now = unix_seconds();
  attack(events, now);  // the very first calls, before the name and image are known
  steady(events, now, 200);
  size_t asked = 0;
  const Outcome o = run(record(events), [&]() -> std::optional<ContainerMeta> {
    // The shipper asks once per batch: the first batch goes out without metadata.
    return asked++ == 0 ? std::nullopt : std::optional<ContainerMeta>(kWeb);
  });
  EXPECT_EQ(o.consumed, events.size());
  bool shell = false;
  for (const auto& a : o.alerts) shell |= a["kind"] == "program" && a["subject"] == "/bin/sh";
  EXPECT_TRUE(shell) << "the held calls were not judged\n" << o.summary;
  EXPECT_EQ(o.summary.find("never identified"), std::string::npos) << o.summary;
}

// Partitioned detection (detect with shards): a shard's profiles arrive with it, and its alerts
// wait for the checkpoint that covers their events — a detector that loses the shard first
// drops them, since the next holder handles those events again.
class ShardedPipelineTest : public PipelineTest {
 protected:
  static constexpr uint32_t kShards = 4;
  const uint32_t shard_ = shard_of(kWeb.image_id, kShards);

  ShardState saved_web_profile() {
    learn_stable_profile();
    auto profile = ProfileStore(options_.state_dir).load(kWeb.image_id);
    EXPECT_TRUE(profile && *profile);
    return {{kWeb.image_id, encode_profile(profile->value())}};
  }
  void feed_attack(DetectionPipeline& p) {
    std::vector<SyscallEvent> events;
    attack(events, unix_seconds());
    for (const auto& e : events) p.on_event(e, EventContext{"host1", kWeb});
    p.on_tick();
  }
  size_t alerts_written() {
    std::ifstream in(options_.alerts.json_file);
    size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }
};

TEST_F(ShardedPipelineTest, AlertsLeaveOnlyOnceTheirCheckpointIsSaved) {
  ShardState saved = saved_web_profile();
  Console console;
  auto p = DetectionPipeline::create(options_, console, ProfileHome::kShards, kShards);
  ASSERT_TRUE(p);
  (*p)->adopt_shard(shard_, std::move(saved));
  EXPECT_TRUE((*p)->changed_state(shard_, false).empty()) << "just adopted: nothing to save";
  EXPECT_EQ((*p)->changed_state(shard_, true).count(kWeb.image_id), 1u);
  feed_attack(**p);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(alerts_written(), 0u) << "held until the checkpoint";
  (*p)->checkpoint_committed(shard_);
  (*p)->finish();
  EXPECT_GT(alerts_written(), 0u);
}

TEST_F(ShardedPipelineTest, ALostShardDropsItsHeldAlertsAndForgetsItsProfiles) {
  ShardState saved = saved_web_profile();
  Console console;
  auto p = DetectionPipeline::create(options_, console, ProfileHome::kShards, kShards);
  ASSERT_TRUE(p);
  (*p)->adopt_shard(shard_, std::move(saved));
  feed_attack(**p);
  (*p)->release_shard(shard_);
  EXPECT_TRUE((*p)->changed_state(shard_, true).empty()) << "its profiles are forgotten";
  (*p)->checkpoint_committed(shard_);
  (*p)->finish();
  EXPECT_EQ(alerts_written(), 0u) << "the next holder reports them";
}

TEST_F(ShardedPipelineTest, AnUnreadableSavedProfileIsLearnedAnewNotACrash) {
  Console console;
  auto p = DetectionPipeline::create(options_, console, ProfileHome::kShards, kShards);
  ASSERT_TRUE(p);
  (*p)->adopt_shard(shard_, {{kWeb.image_id, "not a profile"}, {"sha256:other", ""}});
  EXPECT_TRUE((*p)->changed_state(shard_, true).empty());
  feed_attack(**p);  // a new image: learning starts
  EXPECT_EQ((*p)->changed_state(shard_, false).count(kWeb.image_id), 1u);
}

TEST(StreamShards, AnImageAlwaysMapsToTheSameShardAndImagesSpreadEvenly) {
  // Agents and detectors on different hosts and builds must agree: a fixed value, not std::hash.
  // Changing these values re-routes every image of a running fleet: a wire-format change.
  EXPECT_EQ(shard_of("sha256:aaaa0000000000000000000000000000", 16), 3u);
  EXPECT_EQ(shard_of("sha256:bbbb", 1024), 301u);
  EXPECT_EQ(shard_of("", 16), 0u) << "host commands";
  EXPECT_EQ(shard_of("sha256:x", 1), 0u);
  // Ids that differ in one hex digit (as the loadgen's do) still spread over a power of two.
  std::vector<int> per_shard(8);
  for (int i = 0; i < 800; ++i) {
    char id[80];
    std::snprintf(id, sizeof id, "sha256:%064x", i);
    ++per_shard[shard_of(id, 8)];
  }
  for (int n : per_shard) EXPECT_TRUE(n > 60 && n < 140) << n;
  EXPECT_EQ(shard_stream("s", 0, 1), "s") << "one shard is the stream itself";
  EXPECT_EQ(shard_stream("s", 3, 8), "s:3");
}

TEST_F(PipelineTest, CallsOfAContainerNeverIdentifiedAreCountedNotJudged) {
  std::vector<SyscallEvent> events;
  steady(events, unix_seconds(), 50);
  const Outcome o = run(record(events), [] { return std::nullopt; });
  EXPECT_EQ(o.consumed, events.size());
  EXPECT_TRUE(o.alerts.empty());
  EXPECT_NE(o.summary.find(std::to_string(events.size()) + " events of containers never identified"),
            std::string::npos)
      << o.summary;
}

TEST_F(PipelineTest, LossesTheAgentReportsBecomeAHighAlert) {
  std::vector<SyscallEvent> events;
  steady(events, unix_seconds(), 20);
  const Outcome o = run(record(events), [] { return kWeb; }, /*backend_losses=*/1234);
  ASSERT_EQ(o.alerts.size(), 1u) << o.summary;
  EXPECT_EQ(o.alerts[0]["kind"], "capture-loss");
  EXPECT_EQ(o.alerts[0]["severity"], "high");
  EXPECT_EQ(o.alerts[0]["count"], 1234);
}

// Lines of an alert file that mention `needle`, waiting up to 5 s for the dispatcher's worker.
int lines_with(const fs::path& file, const std::string& needle, int at_least = 1) {
  int n = 0;
  for (int i = 0; i < 100; ++i) {
    n = 0;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
    if (n >= at_least) return n;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return n;
}

TEST_F(PipelineTest, SighupSwapsTheAlertOutputsAndSigusr1ReopensTheFile) {
  // Issue 12: SIGHUP reloads what can be reloaded; SIGUSR1 reopens files for logrotate.
  learn_stable_profile();
  Console console;
  auto p = DetectionPipeline::create(options_, console);
  ASSERT_TRUE(p) << p.error().message;
  const std::string host = "host1";
  const EventContext context{host, kWeb};
  auto run_program = [&](int32_t pid, const std::string& exe) {
    (*p)->on_event(synthetic::call(unix_seconds(), pid, SYS_execve, {exe, std::vector<std::string>{exe}, uint64_t{0}},
                                   0, fs::path(exe).filename(), exe),
                   context);
  };
  const fs::path file = options_.alerts.json_file;
  run_program(300, "/bin/nc");
  ASSERT_EQ(lines_with(file, "/bin/nc"), 1);

  // logrotate: the file is moved away, then SIGUSR1.
  fs::rename(file, file.string() + ".1");
  (*p)->reopen_files();
  run_program(301, "/usr/bin/wget");
  EXPECT_EQ(lines_with(file, "/usr/bin/wget"), 1) << "written to a new file under the configured name";
  EXPECT_EQ(lines_with(file.string() + ".1", "/usr/bin/wget", 0), 0);

  // SIGHUP with another alert file: applied at the next tick.
  DetectionOptions changed = options_;
  changed.alerts.json_file = (dir_ / "other.jsonl").string();
  (*p)->request_reload(changed);
  (*p)->on_tick();
  run_program(302, "/usr/bin/curl");
  EXPECT_EQ(lines_with(dir_ / "other.jsonl", "/usr/bin/curl"), 1);
  EXPECT_EQ(lines_with(file, "/usr/bin/curl", 0), 0);

  // A reload with a broken output changes nothing.
  DetectionOptions broken = changed;
  broken.alerts.email.to = {"ops@example.com"};  // without an SMTP URL
  (*p)->request_reload(broken);
  (*p)->on_tick();
  run_program(303, "/usr/bin/socat");
  EXPECT_EQ(lines_with(dir_ / "other.jsonl", "/usr/bin/socat"), 1);
  (*p)->finish();
}

TEST(ReplayBackend, ARecordingWithALineThatIsNotAnEventIsRejectedWithItsLineNumber) {
  const auto path = fs::temp_directory_path() / ("da-replay-bad-" + std::to_string(getpid()));
  std::ofstream(path) << event_to_json(synthetic::call(1, 1, SYS_read, {uint64_t{0}, uint64_t{0}, uint64_t{1}}))
                      << "\n{\"name\": \"no_such_call\"}\n";
  auto events = ReplayBackend::load(path.string());
  ASSERT_FALSE(events);
  EXPECT_NE(events.error().message.find(":2: unknown syscall name"), std::string::npos) << events.error().message;
  fs::remove(path);
}

}  // namespace
}  // namespace da
