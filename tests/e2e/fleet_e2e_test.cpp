// Issue 13, edge mode: two "hosts" (two `run --fleet`, each watching a dockerd of its own) run
// the same image; what each learns goes to Redis, `fleet` merges it into one stable profile that
// both hosts then judge by, and an attack on both is one incident for the admins.
#include <set>
#include <thread>

#include "e2e_support.h"

using namespace std::chrono_literals;
using e2e::sh;
using e2e::trim;

namespace {

std::vector<std::string> host_argv(const std::string& docker, const std::string& fleet, const std::string& node,
                                   const std::string& dir) {
  // Learning alone would take an hour here: only the fleet's merged profile makes a host detect.
  return {DA_BINARY, "run", "--docker-host", docker, "--fleet", fleet, "--fleet-node", node,
          "--fleet-sync-seconds", "2", "--state-dir", dir + "/state", "--alert-json", dir + "/alerts.jsonl",
          "--learn-min-seconds", "3600", "--learn-max-seconds", "7200"};
}

std::string profile_bytes(const std::string& state_dir, const std::string& image, const std::string& out) {
  auto r = sh(std::string(DA_BINARY) + " profiles export --state-dir " + state_dir + " " + image + " " + out);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return trim(sh("sha256sum < " + out).output);
}

}  // namespace

TEST(FleetE2E, TwoHostsOfOneImageLearnOneFleetProfileAndAnAttackOnBothIsOneIncident) {
  E2E_REQUIRE_HARNESS();
  e2e::TempDir dir;
  const std::string port = std::to_string(e2e::free_port());
  e2e::Process redis({"/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "",
                      "--appendonly", "no", "--dir", dir.path});
  for (int i = 0; i < 100 && trim(sh("redis-cli -p " + port + " PING").output) != "PONG"; ++i)
    std::this_thread::sleep_for(100ms);
  const std::string url = "redis://127.0.0.1:" + port;
  e2e::PrivateEngine other{dir.path + "/engine", "", ""};
  ASSERT_TRUE(other.start());
  const std::string image = e2e::image();
  auto load = sh("docker save " + image + " | " + other.docker("load"));
  ASSERT_EQ(load.exit_code, 0) << load.output;

  sh("mkdir -p " + dir.path + "/a " + dir.path + "/b " + dir.path + "/fleet");
  e2e::Process fleet({DA_BINARY, "fleet", "--redis", url, "--merge-seconds", "2", "--state-dir", dir.path + "/fleet",
                      "--alert-json", dir.path + "/fleet/alerts.jsonl", "--learn-min-seconds", "8",
                      "--learn-novelty", "0.02", "--learn-max-seconds", "40"});
  e2e::Process host_a(host_argv(e2e::docker_host(), url, "host-a", dir.path + "/a"));
  e2e::Process host_b(host_argv(other.host, url, "host-b", dir.path + "/b"));
  for (auto* p : {&host_a, &host_b})
    ASSERT_TRUE(p->wait_for_output("Listening for docker events...", 15s)) << p->output();
  const std::string a = e2e::unique_name("edge-a"), b = e2e::unique_name("edge-b");
  const std::string loop = " sh -c 'while true; do cat /etc/da-marker >/dev/null; sleep 0.2; done'";
  ASSERT_EQ(sh("docker run -d --network none --name " + a + " " + image + loop).exit_code, 0);
  ASSERT_EQ(sh(other.docker("run -d --network none --name " + b + " " + image + loop)).exit_code, 0);

  ASSERT_TRUE(fleet.wait_for_output("fleet profile of " + image + " is stable, learned on 2 hosts", 90s))
      << fleet.output() << host_a.output() << host_b.output();
  for (auto* p : {&host_a, &host_b})
    ASSERT_TRUE(p->wait_for_output("profile of " + image + " is stable: the fleet's profile", 15s)) << p->output();
  // Both hosts hold the very same profile (saved in their state dirs at their next tick).
  std::this_thread::sleep_for(3s);
  if (profile_bytes(dir.path + "/a/state", image, dir.path + "/a.profile") !=
      profile_bytes(dir.path + "/b/state", image, dir.path + "/b.profile")) {
    const std::string show = std::string(DA_BINARY) + " profiles show --json " + image + " --state-dir ";
    EXPECT_EQ(sh(show + dir.path + "/a/state").output, sh(show + dir.path + "/b/state").output);
  }

  ASSERT_EQ(sh("docker exec " + a + " cat /etc/shadow").exit_code, 0);
  ASSERT_EQ(sh(other.docker("exec " + b + " cat /etc/shadow")).exit_code, 0);
  // Each host alerts on its own outputs; the fleet's outputs get the incident once.
  auto shadow = [](const std::string& file) {
    std::multiset<std::pair<std::string, std::string>> kinds;
    for (const auto& alert : e2e::read_alerts(file))
      if (alert.value("subject", "").find("/etc/shadow") != std::string::npos)
        kinds.insert({alert.value("kind", ""), alert.value("subject", "")});
    return kinds;
  };
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until &&
         (shadow(dir.path + "/a/alerts.jsonl").empty() || shadow(dir.path + "/b/alerts.jsonl").empty() ||
          shadow(dir.path + "/fleet/alerts.jsonl").empty()))
    std::this_thread::sleep_for(200ms);
  std::this_thread::sleep_for(3s);  // the second host's alert reaches the fleet too
  const auto on_a = shadow(dir.path + "/a/alerts.jsonl"), on_b = shadow(dir.path + "/b/alerts.jsonl");
  const auto sent = shadow(dir.path + "/fleet/alerts.jsonl");
  ASSERT_FALSE(on_a.empty()) << host_a.output();
  ASSERT_FALSE(on_b.empty()) << host_b.output();
  ASSERT_FALSE(sent.empty()) << fleet.output();
  for (const auto& k : sent) EXPECT_EQ(sent.count(k), 1u) << k.first << " " << k.second << " sent more than once";
  EXPECT_EQ(std::set(sent.begin(), sent.end()), std::set(on_a.begin(), on_a.end())) << fleet.output();

  EXPECT_EQ(host_a.terminate(), 0) << host_a.output();
  EXPECT_EQ(host_b.terminate(), 0) << host_b.output();
  // At exit the fleet reports what it held back: the same incident, on 2 hosts.
  EXPECT_EQ(fleet.terminate(), 0) << fleet.output();
  bool follow_up = false;
  for (const auto& alert : e2e::read_alerts(dir.path + "/fleet/alerts.jsonl"))
    follow_up |= alert.value("explanation", "").find("on 2 hosts (host-a, host-b)") != std::string::npos;
  EXPECT_TRUE(follow_up) << fleet.output();
  sh("docker rm -f " + a + " >/dev/null");
  redis.terminate();
}
