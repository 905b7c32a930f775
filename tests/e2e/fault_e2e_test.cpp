// Fault injection (issue 11): the services the agent depends on fail under it while containers
// keep working — Redis goes down and comes back (with and without persistence), dockerd
// restarts. Nothing captured may be lost, and the agent must follow what happens afterwards.
// (kill -9 of the agent and a full state disk live beside the tests of what they break:
// capture_e2e_test.cpp and detect_e2e_test.cpp.)
#include <nlohmann/json.hpp>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "e2e_support.h"

using namespace std::chrono_literals;
using e2e::sh;
using e2e::trim;

namespace {

// The markers `/nx-N` the counting container tried to open, as the stream holds them.
std::set<long> markers_in_stream(const std::string& redis_url, const std::string& stream,
                                 const std::string& container_id) {
  auto r = sh(std::string("/usr/bin/python3 ") + DA_SOURCE_DIR + "/tests/e2e/decode_stream.py " +
              redis_url + " " + stream);
  EXPECT_EQ(r.exit_code, 0) << r.output.substr(0, 2000);
  std::set<long> markers;
  std::istringstream lines(r.output);
  for (std::string l; std::getline(lines, l);) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (j.is_discarded() || j["cid"] != container_id || j["name"] != "openat") continue;
    if (j["args"].size() < 2 || !j["args"][1].is_string()) continue;
    const std::string path = j["args"][1];
    if (path.rfind("/nx-", 0) == 0) markers.insert(std::atol(path.c_str() + 4));
  }
  return markers;
}

// The holes in [from, to] of a set of markers, for the failure message.
std::string missing(const std::set<long>& markers, long from, long to) {
  std::string out;
  int shown = 0;
  long count = 0;
  for (long m = from; m <= to; ++m) {
    if (markers.count(m)) continue;
    ++count;
    if (shown++ < 20) out += " " + std::to_string(m);
  }
  return count ? std::to_string(count) + " missing:" + out : "";
}

long container_counter(const std::string& name) {
  // The loop rewrites /tmp/i every 20 ms (`>` truncates, then echo writes): a read between the
  // two finds it empty (a CI run read 0 after 145). Read again until a count comes back.
  for (int attempt = 0; attempt < 20; ++attempt) {
    const long count = std::atol(trim(sh("docker exec " + name + " cat /tmp/i").output).c_str());
    if (count > 0) return count;
    std::this_thread::sleep_for(50ms);
  }
  return 0;
}

std::unique_ptr<e2e::Process> start_redis(const std::string& port, const std::string& dir,
                                          bool persistent) {
  std::vector<std::string> argv{"/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", port,
                                "--dir", dir, "--save", ""};
  if (persistent) {
    argv.insert(argv.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    argv.insert(argv.end(), {"--appendonly", "no"});
  }
  auto redis = std::make_unique<e2e::Process>(argv);
  for (int i = 0; i < 100; ++i) {
    if (trim(sh("redis-cli -p " + port + " PING").output) == "PONG") break;
    std::this_thread::sleep_for(100ms);
  }
  return redis;
}

// A private dockerd of the test's own, so restarting it disturbs no other test.

}  // namespace

// The agent ships to a Redis that goes away for 15 s and comes back, once keeping its data on
// disk (append-only file) and once coming back empty. A container counts: each round it tries
// to open `/nx-N`, so every event has a number and a hole is a lost event.
TEST(FaultE2E, ARedisOutageLosesNoEventWithOrWithoutPersistence) {
  E2E_REQUIRE_HARNESS();
  for (bool persistent : {true, false}) {
    SCOPED_TRACE(persistent ? "redis with an append-only file" : "redis without persistence");
    const std::string dir = ::testing::TempDir() + e2e::unique_name("da-outage");
    ASSERT_EQ(sh("mkdir -p " + dir).exit_code, 0);
    const std::string port = std::to_string(e2e::free_port());
    const std::string url = "redis://127.0.0.1:" + port;
    const std::string stream = e2e::unique_name("da-outage-stream");
    auto redis = start_redis(port, dir, persistent);

    e2e::Process agent({DA_BINARY, "agent", "--redis", url, "--stream", stream});
    ASSERT_TRUE(agent.wait_for_output("Listening for docker events...", 15s)) << agent.output();
    const std::string name = e2e::unique_name("counter");
    auto run = sh("docker run -d --network none --name " + name + " " + e2e::image() +
                  " sh -c 'i=0; while true; do i=$((i+1)); cat /nx-$i 2>/dev/null; echo $i > /tmp/i; "
                  "sleep 0.02; done'");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    const std::string id = trim(run.output);
    ASSERT_TRUE(agent.wait_for_output("Monitoring container: " + id.substr(0, 12), 15s)) << agent.output();

    std::set<long> before;
    for (int i = 0; i < 50 && before.size() < 20; ++i) {
      std::this_thread::sleep_for(200ms);
      before = markers_in_stream(url, stream, id);
    }
    ASSERT_GE(before.size(), 20u) << sh(std::string("/usr/bin/python3 ") + DA_SOURCE_DIR +
                                         "/tests/e2e/decode_stream.py " + url + " " + stream +
                                         " | grep -m5 -e nx- -e openat").output
                                  << agent.output().substr(0, 3000);

    redis->terminate();
    const long at_stop = container_counter(name);
    std::this_thread::sleep_for(15s);
    const long at_restart = container_counter(name);
    EXPECT_GT(at_restart, at_stop + 100) << "the container did not go on during the outage";
    redis = start_redis(port, dir, persistent);

    // The agent retries with backoff (at most 5 s apart), then catches up.
    const long target = container_counter(name);
    std::set<long> after;
    for (int i = 0; i < 100; ++i) {
      after = markers_in_stream(url, stream, id);
      if (!after.empty() && *after.rbegin() >= target) break;
      std::this_thread::sleep_for(300ms);
    }
    ASSERT_FALSE(after.empty()) << agent.output();
    EXPECT_GE(*after.rbegin(), target) << "the agent never caught up\n" << agent.output();
    EXPECT_NE(agent.output().find("(retrying)"), std::string::npos)
        << "the agent never noticed the outage\n" << agent.output();

    const long last = *after.rbegin();
    if (persistent) {
      // Everything, from the first marker shipped before the outage to the last one.
      EXPECT_LE(*after.begin(), *before.begin());
      EXPECT_EQ(missing(after, *after.begin(), last), "");
    } else {
      // Redis came back empty: what it had is gone with it, but every marker from the moment
      // it went down on was held by the agent and delivered.
      EXPECT_LE(*after.begin(), at_stop + 1);
      EXPECT_EQ(missing(after, std::min(*after.begin(), at_stop + 1), last), "");
    }
    sh("docker rm -f " + name + " >/dev/null");
    const int code = agent.terminate();
    EXPECT_EQ(code, 0) << agent.output();
    EXPECT_NE(agent.output().find(", dropped 0"), std::string::npos) << agent.output();
    redis->terminate();
    sh("rm -rf " + dir);
  }
}

// dockerd restarts under a running agent (--live-restore, so containers outlive it): the agent
// reconnects, keeps capturing the container that lived on, learns that the one killed while
// dockerd was down is gone (its `die` event died with the old dockerd), and follows a container
// started and a `docker exec` made afterwards.
TEST(FaultE2E, ADockerdRestartIsFollowed) {
  E2E_REQUIRE_HARNESS();
  e2e::PrivateEngine engine{::testing::TempDir() + e2e::unique_name("da-engine"), "--live-restore", ""};
  ASSERT_TRUE(engine.start());
  auto load = sh("docker save " + e2e::image() + " | " + engine.docker("load"));
  ASSERT_EQ(load.exit_code, 0) << load.output;
  auto start = [&](const std::string& name, const std::string& file) {
    auto r = sh(engine.docker("run -d --network none --name " + name + " " + e2e::image() +
                              " sh -c 'while true; do cat " + file + " >/dev/null; sleep 0.1; done'"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return trim(r.output);
  };
  const std::string keeper = start(e2e::unique_name("keeper"), "/etc/hostname");
  const std::string victim = start(e2e::unique_name("victim"), "/etc/da-marker");
  ASSERT_FALSE(keeper.empty());
  ASSERT_FALSE(victim.empty());
  const pid_t victim_pid =
      std::atoi(trim(sh(engine.docker("inspect -f '{{.State.Pid}}' " + victim)).output).c_str());
  ASSERT_GT(victim_pid, 1);

  const std::string state = ::testing::TempDir() + e2e::unique_name("state");
  e2e::Process agent({DA_BINARY, "run", "--docker-host", engine.host, "--state-dir", state,
                      "--print-syscalls"});
  ASSERT_TRUE(agent.wait_for_output("Monitoring container: " + keeper.substr(0, 12), 15s)) << agent.output();
  ASSERT_TRUE(agent.wait_for_output("Monitoring container: " + victim.substr(0, 12), 15s)) << agent.output();

  engine.stop();
  ASSERT_TRUE(agent.wait_for_output("lost the Docker event stream", 15s)) << agent.output();
  ::kill(victim_pid, SIGKILL);  // dies while nobody can report it
  ASSERT_TRUE(engine.start());
  ASSERT_TRUE(agent.wait_for_output("reconnected to Docker", 30s)) << agent.output();
  EXPECT_TRUE(agent.wait_for_output("Finished monitoring container: " + victim.substr(0, 12), 10s))
      << agent.output();
  EXPECT_EQ(trim(sh(engine.docker("inspect -f '{{.State.Running}}' " + keeper)).output), "true");

  const size_t reconnected_at = agent.output().find("reconnected to Docker");
  auto seen_after_reconnect = [&](const std::string& needle) {
    for (int i = 0; i < 100; ++i) {
      if (agent.output().find(needle, reconnected_at) != std::string::npos) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  EXPECT_TRUE(seen_after_reconnect("\"container_id\":\"" + keeper + "\""))
      << "the container that lived on is no longer captured\n" << agent.output().substr(reconnected_at, 4000);

  const std::string fresh_name = e2e::unique_name("fresh");
  const std::string fresh = start(fresh_name, "/etc/hostname");
  ASSERT_FALSE(fresh.empty());
  EXPECT_TRUE(agent.wait_for_output("Monitoring container: " + fresh.substr(0, 12), 15s)) << agent.output();
  EXPECT_TRUE(seen_after_reconnect("\"container_id\":\"" + fresh + "\""));
  auto exec = sh(engine.docker("exec " + fresh_name + " cat /etc/da-marker"));
  EXPECT_EQ(exec.exit_code, 0) << exec.output;
  // --print-syscalls lines name the container and each argument's value.
  const bool exec_seen = seen_after_reconnect("\"container_id\":\"" + fresh + "\"") && [&] {
    for (int i = 0; i < 100; ++i) {
      std::istringstream lines(agent.output().substr(reconnected_at));
      for (std::string l; std::getline(lines, l);) {
        if (l.find(fresh) != std::string::npos && l.find("\"name\":\"openat\"") != std::string::npos &&
            l.find("\"value\":\"/etc/da-marker\"") != std::string::npos)
          return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }();
  EXPECT_TRUE(exec_seen) << "the docker exec after the restart was not captured";
  EXPECT_EQ(agent.terminate(), 0) << agent.output().substr(0, 4000);
  sh("rm -rf " + state);
}

// A state dir mounted read-only: `run` says so and exits 1 instead of running blind or crashing;
// `profiles reset --all` names every profile it could not remove and exits 1 (it used to say
// it had reset them and exit 0).
TEST(FaultE2E, AReadOnlyStateDirIsAClearErrorNotASilentSuccess) {
  E2E_REQUIRE_HARNESS();
  const std::string dir = ::testing::TempDir() + e2e::unique_name("da-ro-state");
  ASSERT_EQ(sh("mkdir -p " + dir + " && mount -t tmpfs -o size=1m tmpfs " + dir).exit_code, 0);
  struct Unmount {
    std::string dir;
    ~Unmount() { sh("umount -l " + dir + "; rmdir " + dir); }
  } unmount{dir};
  ASSERT_EQ(sh("mkdir -p " + dir + "/profiles && echo x > " + dir + "/profiles/sha256-aaaa.profile").exit_code, 0);
  ASSERT_EQ(sh("mount -o remount,ro " + dir).exit_code, 0);

  auto run = sh(std::string("timeout 30 ") + DA_BINARY + " run --state-dir " + dir + "/fresh");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("set --state-dir to a writable directory"), std::string::npos) << run.output;
  auto reset = sh(std::string(DA_BINARY) + " profiles reset --all --state-dir " + dir);
  EXPECT_EQ(reset.exit_code, 1) << reset.output;
  EXPECT_NE(reset.output.find("cannot remove " + dir + "/profiles/sha256-aaaa.profile: Read-only file system"),
            std::string::npos)
      << reset.output;
  EXPECT_NE(reset.output.find("removed 0 profiles"), std::string::npos) << reset.output;
}
