// The detection engine end to end: a real container's steady workload is learned until its
// profile is stable, raises nothing afterwards, and a `docker exec` that does what the image
// never did (read /etc/shadow, run a new program) raises an alert naming container, image,
// process and what was new. The profile survives an agent restart.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "e2e_support.h"

using namespace std::chrono_literals;
using e2e::sh;
using e2e::read_alerts;
using e2e::TempDir;
using e2e::trim;

namespace {

// Waits until an alert satisfying `match` is in the file.
bool wait_for_alert(const std::string& path, const std::function<bool(const nlohmann::json&)>& match,
                    std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    for (const auto& a : read_alerts(path))
      if (match(a)) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

std::vector<std::string> agent_argv(const std::string& state_dir, const std::string& alerts) {
  return {DA_BINARY, "run", "--state-dir", state_dir, "--alert-json", alerts,
          "--learn-min-seconds", "8", "--learn-novelty", "0.02", "--learn-max-seconds", "40", "--progress-seconds", "2"};
}

}  // namespace

TEST(DetectE2E, SteadyWorkloadIsLearnedAndADockerExecThatDoesSomethingNewIsAlerted) {
  E2E_REQUIRE_HARNESS();
  TempDir state;
  const std::string alerts = state.path + "/alerts.jsonl";
  const std::string name = e2e::unique_name("steady");
  const std::string image = e2e::image();

  e2e::Process agent(agent_argv(state.path, alerts));
  ASSERT_TRUE(agent.wait_for_output("Listening for docker events...", 10s)) << agent.output();
  auto run = sh("docker run -d --network none --name " + name + " " + image +
                " sh -c 'while true; do cat /etc/da-marker >/dev/null; ls / >/dev/null; sleep 0.2; done'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string id = trim(run.output);

  ASSERT_TRUE(agent.wait_for_output("learning the normal behaviour of " + image, 15s)) << agent.output();
  ASSERT_TRUE(agent.wait_for_output("profile of " + image + " is stable", 90s)) << agent.output();

  // The learned workload keeps running: nothing to report.
  std::this_thread::sleep_for(6s);
  EXPECT_TRUE(read_alerts(alerts).empty()) << agent.output();

  // Something the image never did: read /etc/shadow.
  auto exec = sh("docker exec " + name + " cat /etc/shadow");
  ASSERT_EQ(exec.exit_code, 0) << exec.output;
  ASSERT_TRUE(wait_for_alert(alerts, [](const auto& a) { return a["subject"] == "/etc/shadow"; }, 15s))
      << agent.output();
  // ...and run a program it never ran.
  exec = sh("docker exec " + name + " /bin/syscall_loop 100");
  ASSERT_EQ(exec.exit_code, 0) << exec.output;
  ASSERT_TRUE(wait_for_alert(alerts, [](const auto& a) { return a["kind"] == "program"; }, 15s))
      << agent.output();

  for (const auto& a : read_alerts(alerts)) {
    // Every alert is about the two exec'd processes, none about the learned loop.
    const bool shadow = a["subject"] == "/etc/shadow";
    const bool new_program = a["exe"].get<std::string>().find("syscall_loop") != std::string::npos;
    EXPECT_TRUE(shadow || new_program) << a.dump();
    EXPECT_EQ(a["container_id"], id);
    EXPECT_EQ(a["container_name"], name);
    EXPECT_EQ(a["image"], image);
    EXPECT_GT(a["pid"].get<int>(), 0);
    EXPECT_FALSE(a["explanation"].get<std::string>().empty());
    if (shadow) {
      EXPECT_EQ(a["kind"], "file");
      EXPECT_EQ(a["comm"], "cat");
      EXPECT_EQ(a["severity"], "high");
      EXPECT_EQ(a["cmdline"], nlohmann::json({"cat", "/etc/shadow"}));
    }
  }
  // One alert per novelty: the exec'd cat and the new program once each.
  int shadow_alerts = 0, program_alerts = 0;
  for (const auto& a : read_alerts(alerts)) {
    shadow_alerts += a["subject"] == "/etc/shadow";
    program_alerts += a["kind"] == "program";
  }
  EXPECT_EQ(shadow_alerts, 1);
  EXPECT_EQ(program_alerts, 1);
  EXPECT_NE(agent.output().find("ALERT high file anomaly"), std::string::npos) << agent.output();
  EXPECT_EQ(agent.terminate(), 0) << agent.output();
  EXPECT_NE(agent.output().find("anomalies reported"), std::string::npos) << agent.output();

  // The profile is on disk, stable...
  auto list = sh(std::string(DA_BINARY) + " profiles list --state-dir " + state.path);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find(image), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("stable"), std::string::npos) << list.output;

  // ...and a restarted agent detects at once, without learning again.
  std::filesystem::remove(alerts);
  e2e::Process again(agent_argv(state.path, alerts));
  ASSERT_TRUE(again.wait_for_output("profile of " + image + " loaded: stable", 20s)) << again.output();
  exec = sh("docker exec " + name + " cat /etc/shadow");
  ASSERT_EQ(exec.exit_code, 0) << exec.output;
  EXPECT_TRUE(wait_for_alert(alerts, [](const auto& a) { return a["subject"] == "/etc/shadow"; }, 15s))
      << again.output();
  EXPECT_EQ(again.output().find("learning the normal behaviour"), std::string::npos) << again.output();
  EXPECT_EQ(again.terminate(), 0) << again.output();
  sh("docker rm -f " + name + " >/dev/null");
}

TEST(DetectE2E, ProfilesCanBeExportedImportedAndReset) {
  E2E_REQUIRE_HARNESS();
  TempDir state;
  const std::string alerts = state.path + "/alerts.jsonl";
  const std::string name = e2e::unique_name("learn");
  const std::string image = e2e::image();
  e2e::Process agent(agent_argv(state.path, alerts));
  ASSERT_TRUE(agent.wait_for_output("Listening for docker events...", 10s)) << agent.output();
  auto run = sh("docker run -d --network none --name " + name + " " + image +
                " sh -c 'while true; do cat /etc/da-marker >/dev/null; sleep 0.2; done'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_TRUE(agent.wait_for_output("learning the normal behaviour of " + image, 15s)) << agent.output();
  ASSERT_TRUE(agent.wait_for_output("learning ", 15s)) << agent.output();  // a progress line
  const std::string cli = std::string(DA_BINARY) + " profiles ";
  const std::string dir = " --state-dir " + state.path;
  // Saved while learning, so `list` shows the progress.
  bool listed = false;
  for (int i = 0; i < 30 && !listed; ++i) {
    listed = sh(cli + "list" + dir).output.find("learning") != std::string::npos;
    if (!listed) std::this_thread::sleep_for(500ms);
  }
  EXPECT_TRUE(listed) << sh(cli + "list" + dir).output;
  // The profile on disk fills as the agent saves what it learned.
  e2e::Shell shown{1, ""};
  for (int i = 0; i < 40; ++i) {
    shown = sh(cli + "show " + image + dir);
    if (shown.output.find("r /etc/da-marker") != std::string::npos) break;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("r /etc/da-marker"), std::string::npos) << shown.output;

  const std::string exported = state.path + "/exported.profile";
  auto ex = sh(cli + "export " + image + " " + exported + dir);
  ASSERT_EQ(ex.exit_code, 0) << ex.output;
  auto reset = sh(cli + "reset " + image + dir);
  ASSERT_EQ(reset.exit_code, 0) << reset.output;
  EXPECT_TRUE(agent.wait_for_output("was reset: learning anew", 10s)) << agent.output();
  auto im = sh(cli + "import " + exported + dir);
  ASSERT_EQ(im.exit_code, 0) << im.output;
  EXPECT_NE(sh(cli + "list" + dir).output.find(image), std::string::npos);

  EXPECT_NE(sh(cli + "show no-such-image" + dir).exit_code, 0);
  std::ofstream(state.path + "/garbage.profile") << "not a profile";
  EXPECT_NE(sh(cli + "import " + state.path + "/garbage.profile" + dir).exit_code, 0);
  EXPECT_EQ(agent.terminate(), 0) << agent.output();
  sh("docker rm -f " + name + " >/dev/null");
}

TEST(DetectE2E, DetectorReadsTheAgentsRedisStreamThroughAConsumerGroup) {
  E2E_REQUIRE_HARNESS();
  TempDir state;
  const std::string alerts = state.path + "/alerts.jsonl";
  const std::string stream = e2e::unique_name("da-e2e-detect");
  const std::string name = e2e::unique_name("remote");
  const std::string image = e2e::image();

  e2e::Process agent({DA_BINARY, "agent", "--redis", e2e::redis_url(), "--stream", stream});
  ASSERT_TRUE(agent.wait_for_output("Listening for docker events...", 10s)) << agent.output();
  e2e::Process detector({DA_BINARY, "detect", "--redis", e2e::redis_url(), "--stream", stream,
                         "--group", "e2e-detectors", "--state-dir", state.path, "--alert-json",
                         alerts, "--learn-min-seconds", "8", "--learn-novelty", "0.02", "--learn-max-seconds", "40"});
  ASSERT_TRUE(detector.wait_for_output("Detecting from Redis stream " + stream, 10s))
      << detector.output();
  auto run = sh("docker run -d --network none --name " + name + " " + image +
                " sh -c 'while true; do cat /etc/da-marker >/dev/null; sleep 0.2; done'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // The container's name and image travel with the batches: the detector has no Docker access.
  ASSERT_TRUE(detector.wait_for_output("profile of " + image + " is stable", 90s))
      << detector.output() << agent.output();
  auto exec = sh("docker exec " + name + " cat /etc/shadow");
  ASSERT_EQ(exec.exit_code, 0) << exec.output;
  EXPECT_TRUE(wait_for_alert(
      alerts, [&](const auto& a) { return a["subject"] == "/etc/shadow" && a["container_name"] == name; },
      15s))
      << detector.output();
  EXPECT_EQ(agent.terminate(), 0) << agent.output();
  EXPECT_EQ(detector.terminate(), 0) << detector.output();
  // Every batch read was acknowledged to the group.
  auto pending = sh("redis-cli -u " + e2e::redis_url() + " XPENDING " + stream + " e2e-detectors");
  EXPECT_EQ(trim(pending.output).substr(0, 1), "0") << pending.output;
  sh("docker rm -f " + name + " >/dev/null");
}

TEST(DetectE2E, ADetectorRecreatesAConsumerGroupRedisLost) {
  // Issue 11: a Redis restarted without persistence has no group; every read failed with
  // NOGROUP forever and new entries were never read. The stream is deleted here to the same end.
  E2E_REQUIRE_HARNESS();
  TempDir state;
  const std::string stream = e2e::unique_name("da-e2e-nogroup");
  e2e::Process detector({DA_BINARY, "detect", "--redis", e2e::redis_url(), "--stream", stream,
                         "--group", "e2e-detectors", "--state-dir", state.path});
  ASSERT_TRUE(detector.wait_for_output("Detecting from Redis stream " + stream, 10s)) << detector.output();
  auto del = sh("redis-cli -u " + e2e::redis_url() + " DEL " + stream);
  ASSERT_EQ(del.exit_code, 0) << del.output;
  EXPECT_TRUE(detector.wait_for_output("created it again", 15s)) << detector.output();
  // Reading on: an entry added now is read (and, not being a batch, counted as bad and acked).
  sh("redis-cli -u " + e2e::redis_url() + " XADD " + stream + " '*' junk 1");
  std::this_thread::sleep_for(3s);
  auto groups = sh("redis-cli -u " + e2e::redis_url() + " XINFO GROUPS " + stream);
  EXPECT_NE(groups.output.find("e2e-detectors"), std::string::npos) << groups.output;
  auto pending = sh("redis-cli -u " + e2e::redis_url() + " XPENDING " + stream + " e2e-detectors");
  EXPECT_EQ(trim(pending.output).substr(0, 1), "0") << pending.output << detector.output();
  auto info = sh("redis-cli -u " + e2e::redis_url() + " XINFO GROUPS " + stream);
  EXPECT_NE(info.output.find("entries-read\n1"), std::string::npos) << info.output;
  EXPECT_EQ(detector.terminate(), 0) << detector.output();
  sh("redis-cli -u " + e2e::redis_url() + " DEL " + stream + " >/dev/null");
}

TEST(DetectE2E, AFullStateDiskIsReportedRetriedAndNamedAtExit) {
  // Issue 11, fault injection: the state dir on a disk that fills up. Saves fail loudly and are
  // retried, work again once there is room (and say so), and a profile still not on disk at
  // exit is named and makes `run` exit 1. Learning stays on (long minimum) so the profile keeps
  // changing and every save matters.
  E2E_REQUIRE_HARNESS();
  TempDir state;
  const std::string disk = state.path + "/disk";
  std::filesystem::create_directories(disk);
  ASSERT_EQ(sh("mount -t tmpfs -o size=1m da-e2e-full " + disk).exit_code, 0);
  struct Unmount {
    std::string path;
    ~Unmount() { sh("umount -l " + path); }
  } unmount{disk};
  const std::string fill = "dd if=/dev/zero of=" + disk + "/fill bs=64k 2>/dev/null; sync";
  ASSERT_EQ(sh("mkdir -p " + disk + "/profiles").exit_code, 0);  // what the agent makes at start
  sh(fill);
  const std::string image = e2e::image();
  e2e::Process agent({DA_BINARY, "run", "--state-dir", disk, "--alert-json", state.path + "/alerts.jsonl",
                      "--learn-min-seconds", "600", "--learn-max-seconds", "1200"});
  ASSERT_TRUE(agent.wait_for_output("Listening for docker events...", 10s)) << agent.output();
  const std::string name = e2e::unique_name("fulldisk");
  auto run = sh("docker run -d --network none --name " + name + " " + image +
                " sh -c 'while true; do cat /etc/da-marker >/dev/null; sleep 0.2; done'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string failed = "error: cannot save the learning profile of " + image;
  ASSERT_TRUE(agent.wait_for_output(failed, 30s)) << agent.output();
  EXPECT_NE(agent.output().find("No space left on device"), std::string::npos) << agent.output();

  sh("rm -f " + disk + "/fill");
  ASSERT_TRUE(agent.wait_for_output("saved the learning profile of " + image + " after", 20s)) << agent.output();
  EXPECT_FALSE(std::filesystem::is_empty(disk + "/profiles"));

  sh(fill);  // full again: the next save fails, and so does the last one at exit
  auto failures = [&] {
    const std::string out = agent.output();
    int n = 0;
    for (size_t at = out.find(failed); at != std::string::npos; at = out.find(failed, at + 1)) ++n;
    return n;
  };
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (failures() < 2 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(200ms);
  EXPECT_EQ(failures(), 2) << agent.output();
  EXPECT_EQ(agent.terminate(), 1) << agent.output();
  EXPECT_NE(agent.output().find("profile of " + image + " (") , std::string::npos) << agent.output();
  EXPECT_NE(agent.output().find("is not on disk"), std::string::npos) << agent.output();
  sh("docker rm -f " + name + " >/dev/null");
}
