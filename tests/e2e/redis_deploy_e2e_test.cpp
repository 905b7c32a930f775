// Redis as users deploy it (issue 13): on another "host" — a network namespace this test
// creates, joined to ours by a veth pair with addresses it assigns — with the default user off
// and one ACL user per role, least privilege: agents may only XADD, detectors only read and
// acknowledge through their group. Events flow agent -> Redis -> detector all the same.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "e2e_support.h"

using namespace std::chrono_literals;
using e2e::sh;
using e2e::trim;

namespace {

// A network namespace with one veth link to ours: HOST_IP here, PEER_IP inside. Removed on
// destruction (the veth pair goes with the namespace).
struct OtherHost {
  std::string ns, host_if, peer_if, host_ip, peer_ip;
  bool up = false;

  explicit OtherHost(int subnet) {
    const std::string tag = std::to_string(getpid() % 100000);
    ns = "da-e2e-" + tag;
    host_if = "dah" + tag;
    peer_if = "dan" + tag;
    host_ip = "10.231." + std::to_string(subnet) + ".1";
    peer_ip = "10.231." + std::to_string(subnet) + ".2";
    auto r = sh("ip netns add " + ns + " && ip link add " + host_if + " type veth peer name " + peer_if +
                " && ip link set " + peer_if + " netns " + ns + " && ip addr add " + host_ip + "/30 dev " +
                host_if + " && ip link set " + host_if + " up && ip netns exec " + ns + " ip addr add " +
                peer_ip + "/30 dev " + peer_if + " && ip netns exec " + ns + " ip link set " + peer_if +
                " up && ip netns exec " + ns + " ip link set lo up");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    up = r.exit_code == 0;
  }
  ~OtherHost() {
    sh("ip link del " + host_if + " 2>/dev/null; ip netns del " + ns + " 2>/dev/null");
  }
};

std::string redis_cli(const std::string& host, const std::string& user, const std::string& password,
                      const std::string& command) {
  return trim(sh("redis-cli --no-auth-warning -h " + host + " --user " + user + " -a " + password + " " +
                 command).output);
}

}  // namespace

TEST(RedisDeployE2E, AgentAndDetectorReachAnAclRedisOnAnotherHostWithLeastPrivilege) {
  E2E_REQUIRE_HARNESS();
  OtherHost other(200 + getpid() % 50);
  ASSERT_TRUE(other.up);
  const std::string dir = ::testing::TempDir() + e2e::unique_name("da-acl");
  ASSERT_EQ(sh("mkdir -p " + dir).exit_code, 0);
  const std::string stream = "docker-anomalies:events";
  // docs/scale.md, "Redis ACL": the users and rights the agent and the detector need.
  std::ofstream(dir + "/users.acl")
      << "user default off\n"
      << "user da-agent on >agent-secret resetkeys %W~docker-anomalies:* -@all +xadd +multi +exec\n"
      << "user da-detector on >detector-secret resetkeys ~docker-anomalies:* -@all +xreadgroup +xack "
         "+xgroup|create +xautoclaim +time +zadd +zremrangebyscore +zcard +zrem +get +set +pexpire "
         "+hgetall +hset +eval\n";
  e2e::Process redis({"/usr/sbin/ip", "netns", "exec", other.ns, "/usr/bin/redis-server", "--bind", other.peer_ip,
                      "--port", "6379", "--aclfile", dir + "/users.acl", "--save", "", "--appendonly", "no", "--dir",
                      dir});
  bool listening = false;
  for (int i = 0; i < 50 && !listening; ++i) {
    listening = redis_cli(other.peer_ip, "da-detector", "detector-secret", "XPENDING nothing g").find("Connection refused") ==
                std::string::npos;
    if (!listening) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(listening) << redis.output();

  // Least privilege, as Redis itself enforces it.
  EXPECT_NE(trim(sh("redis-cli -h " + other.peer_ip + " PING").output).find("NOAUTH"), std::string::npos)
      << "the default user is off";
  EXPECT_NE(redis_cli(other.peer_ip, "da-agent", "agent-secret", "XRANGE " + stream + " - +").find("NOPERM"),
            std::string::npos)
      << "an agent cannot read the events";
  EXPECT_NE(redis_cli(other.peer_ip, "da-agent", "agent-secret", "SET other-key x").find("NOPERM"), std::string::npos);
  EXPECT_NE(redis_cli(other.peer_ip, "da-detector", "detector-secret", "XADD " + stream + " '*' batch x").find("NOPERM"),
            std::string::npos)
      << "a detector cannot forge events";
  EXPECT_NE(redis_cli(other.peer_ip, "da-detector", "detector-secret", "FLUSHALL").find("NOPERM"), std::string::npos);
  EXPECT_NE(redis_cli(other.peer_ip, "da-detector", "detector-secret", "DEL " + stream).find("NOPERM"), std::string::npos)
      << "a detector cannot delete the events";

  for (const auto& [file, line] : {std::pair{"agent.cred", "da-agent:agent-secret"}, {"detector.cred", "da-detector:detector-secret"}}) {
    std::ofstream(dir + "/" + file) << line << "\n";
    ::chmod((dir + "/" + file).c_str(), 0600);
  }
  const std::string url = "redis://" + other.peer_ip + ":6379";
  // Two shards: the agent adds a batch's parts in one MULTI/EXEC, the detector holds leases.
  e2e::Process detector({DA_BINARY, "detect", "--redis", url, "--redis-credentials", dir + "/detector.cred",
                         "--shards", "2", "--state-dir", dir + "/state", "--learn-min-seconds", "3600"});
  ASSERT_TRUE(detector.wait_for_output("Detecting from Redis stream " + stream, 15s)) << detector.output();
  e2e::Process agent({DA_BINARY, "agent", "--redis", url, "--redis-credentials", dir + "/agent.cred", "--shards", "2"});
  ASSERT_TRUE(agent.wait_for_output("Listening for docker events...", 15s)) << agent.output();
  const std::string name = e2e::unique_name("acl");
  auto run = sh("docker run -d --network none --name " + name + " " + e2e::image() +
                " sh -c 'while true; do cat /etc/hostname >/dev/null; sleep 0.1; done'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(detector.wait_for_output("learning the normal behaviour of " + e2e::image(), 20s))
      << "no event reached the detector\nagent:\n" << agent.output() << "\ndetector:\n" << detector.output();
  sh("docker rm -f " + name + " >/dev/null");
  EXPECT_EQ(agent.terminate(), 0) << agent.output();
  EXPECT_NE(agent.output().find(", dropped 0"), std::string::npos) << agent.output();
  EXPECT_EQ(detector.terminate(), 0) << detector.output();
  EXPECT_EQ(agent.output().find("NOPERM"), std::string::npos) << agent.output();
  EXPECT_EQ(detector.output().find("NOPERM"), std::string::npos) << detector.output();
  redis.terminate();
  sh("rm -rf " + dir);
}
