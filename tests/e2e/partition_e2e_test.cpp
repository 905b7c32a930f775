// Issue 13: detectors sharing a partitioned stream. All events of an image reach one detector
// (shards by image, leases in Redis), so two detectors learn the same profiles and raise the
// same alerts as one; and a detector killed mid-stream hands its shards over with nothing lost
// and nothing handled twice. Events come from bench/loadgen.cpp, as two agents' worth.
#include <hiredis/hiredis.h>
#include <signal.h>

#include <set>
#include <thread>

#include "detect/profile.h"
#include "e2e_support.h"
#include "transport/stream_shards.h"

using namespace std::chrono_literals;
using e2e::sh;

namespace {

constexpr int kShards = 4, kAgents = 2, kImages = 6;

struct Redis {
  redisContext* c = nullptr;
  Redis() {
    // redis://127.0.0.1:PORT from the harness
    const std::string url = e2e::redis_url();
    const auto colon = url.rfind(':');
    c = redisConnect("127.0.0.1", std::stoi(url.substr(colon + 1)));
  }
  ~Redis() { redisFree(c); }
  redisReply* command(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    return static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data()));
  }
  std::string get(const std::string& key) {
    redisReply* r = command({"GET", key});
    std::string out = r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
    freeReplyObject(r);
    return out;
  }
  long long integer(const std::vector<std::string>& args) {
    redisReply* r = command(args);
    long long out = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return out;
  }
  // The last entry id of a stream ("" when empty).
  std::string last_id(const std::string& stream) {
    redisReply* r = command({"XREVRANGE", stream, "+", "-", "COUNT", "1"});
    std::string out;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1)
      out.assign(r->element[0]->element[0]->str, r->element[0]->element[0]->len);
    freeReplyObject(r);
    return out;
  }
  // Every profile saved in the stream's shards, by image id.
  std::map<std::string, da::ImageProfile> profiles(const std::string& stream) {
    std::map<std::string, da::ImageProfile> out;
    for (uint32_t k = 0; k < kShards; ++k) {
      redisReply* r = command({"HGETALL", da::shard_profiles_key(da::shard_stream(stream, k, kShards))});
      for (size_t i = 0; r && i + 1 < r->elements; i += 2) {
        auto p = da::decode_profile(std::string_view(r->element[i + 1]->str, r->element[i + 1]->len));
        EXPECT_TRUE(p) << (p ? "" : p.error().message);
        if (p) out.emplace(p->image_id, std::move(p.value()));
      }
      freeReplyObject(r);
    }
    return out;
  }
  void drop(const std::string& stream) {
    for (uint32_t k = 0; k < kShards; ++k) {
      const std::string s = da::shard_stream(stream, k, kShards);
      integer({"DEL", s, da::shard_lease_key(s), da::shard_checkpoint_key(s), da::shard_profiles_key(s)});
    }
    integer({"DEL", da::detectors_key(stream)});
  }
};

std::vector<std::string> detector_argv(const std::string& stream, const std::string& state,
                                       const std::string& alerts, const std::string& name,
                                       const std::vector<std::string>& learning) {
  std::vector<std::string> argv{DA_BINARY, "detect", "--redis", e2e::redis_url(), "--stream", stream,
                                "--shards", std::to_string(kShards), "--consumer", name, "--lease-ms", "2000",
                                "--state-dir", state, "--alert-json", alerts, "--alert-window-seconds", "0"};
  argv.insert(argv.end(), learning.begin(), learning.end());
  return argv;
}

e2e::Shell loadgen(const std::string& stream, const std::string& extra) {
  return sh(std::string(DA_LOADGEN) + " --redis " + e2e::redis_url() + " --stream " + stream +
            " --shards " + std::to_string(kShards) + " --agents " + std::to_string(kAgents) +
            " --images " + std::to_string(kImages) + " " + extra);
}

// Until every shard's lease is held and each named detector holds `each` of them.
bool wait_balanced(Redis& redis, const std::string& stream, const std::vector<std::string>& names,
                   size_t each, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    std::map<std::string, size_t> held;
    for (uint32_t k = 0; k < kShards; ++k) ++held[redis.get(da::shard_lease_key(da::shard_stream(stream, k, kShards)))];
    bool ok = true;
    for (const auto& n : names) ok &= held[n] == each;
    if (ok) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

// Until every shard's checkpoint covers its last entry, with nothing pending.
bool wait_checkpointed(Redis& redis, const std::string& stream, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    bool all = true;
    for (uint32_t k = 0; k < kShards; ++k) {
      const std::string s = da::shard_stream(stream, k, kShards);
      all &= redis.get(da::shard_checkpoint_key(s)) == redis.last_id(s);
    }
    if (all) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

// Until every image's profile in Redis is stable.
bool wait_stable(Redis& redis, const std::string& stream, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto profiles = redis.profiles(stream);
    size_t stable = 0;
    for (const auto& [id, p] : profiles) stable += p.state == da::ProfileState::kStable;
    if (stable == kImages) return true;
    std::this_thread::sleep_for(300ms);
  }
  return false;
}

using AlertKey = std::tuple<std::string, std::string, std::string>;  // container, kind, subject
std::multiset<AlertKey> alert_keys(const std::vector<std::string>& files) {
  std::multiset<AlertKey> keys;
  for (const auto& f : files)
    for (const auto& a : e2e::read_alerts(f))
      keys.insert({a.value("container_name", ""), a.value("kind", ""), a.value("subject", "")});
  return keys;
}

// What one run leaves behind: the profiles in Redis and the alerts of every detector.
struct Outcome {
  std::map<std::string, da::ImageProfile> profiles;
  std::multiset<AlertKey> alerts;
  std::string logs;
};

// Learns the loadgen's images until stable, then sends files no profile has seen.
Outcome learn_then_attack(int detectors) {
  Redis redis;
  e2e::TempDir dir;
  const std::string stream = e2e::unique_name("da-e2e-partition");
  const std::vector<std::string> learning{"--learn-min-seconds", "2", "--learn-novelty", "1", "--progress-seconds", "600"};
  std::vector<std::unique_ptr<e2e::Process>> procs;
  std::vector<std::string> names, alert_files;
  for (int d = 0; d < detectors; ++d) {
    names.push_back("detector-" + std::to_string(d));
    alert_files.push_back(dir.path + "/alerts-" + std::to_string(d) + ".jsonl");
    procs.push_back(std::make_unique<e2e::Process>(
        detector_argv(stream, dir.path + "/state-" + std::to_string(d), alert_files.back(), names.back(), learning)));
  }
  Outcome out;
  auto logs = [&] {
    std::string all;
    for (auto& p : procs) all += p->output() + "\n----\n";
    return all;
  };
  EXPECT_TRUE(wait_balanced(redis, stream, names, kShards / detectors, 20s)) << logs();
  auto normal = loadgen(stream, "--events 4000");
  EXPECT_EQ(normal.exit_code, 0) << normal.output;
  EXPECT_TRUE(wait_stable(redis, stream, 30s)) << logs();
  auto attack = loadgen(stream, "--events 0 --novel 1");
  EXPECT_EQ(attack.exit_code, 0) << attack.output;
  EXPECT_TRUE(wait_checkpointed(redis, stream, 20s)) << logs();
  for (auto& p : procs) EXPECT_EQ(p->terminate(), 0) << p->output();
  out.profiles = redis.profiles(stream);
  out.alerts = alert_keys(alert_files);
  out.logs = logs();
  redis.drop(stream);
  return out;
}

}  // namespace

TEST(PartitionE2E, TwoDetectorsLearnTheSameProfilesAndRaiseTheSameAlertsAsOne) {
  E2E_REQUIRE_HARNESS();
  const Outcome one = learn_then_attack(1);
  const Outcome two = learn_then_attack(2);
  ASSERT_EQ(one.profiles.size(), static_cast<size_t>(kImages)) << one.logs;
  ASSERT_EQ(two.profiles.size(), static_cast<size_t>(kImages)) << two.logs;
  for (const auto& [id, p] : one.profiles) {
    const auto& q = two.profiles.at(id);
    EXPECT_EQ(p.state, q.state) << id;
    EXPECT_EQ(p.calls, static_cast<uint64_t>(kAgents * 4000)) << id;
    EXPECT_EQ(p.calls, q.calls) << id;
    EXPECT_EQ(p.files, q.files) << id;
    ASSERT_EQ(p.programs.size(), q.programs.size()) << id;
    for (const auto& [key, program] : p.programs) {
      EXPECT_EQ(program.ngrams, q.programs.at(key).ngrams) << id << " " << key.second;
      EXPECT_DOUBLE_EQ(program.threshold, q.programs.at(key).threshold) << id << " " << key.second;
    }
  }
  // A novel file in each of the 2 × 6 containers, each reported once, by whichever detector
  // holds the container's image.
  EXPECT_EQ(one.alerts.size(), static_cast<size_t>(kAgents * kImages)) << one.logs;
  EXPECT_EQ(one.alerts, two.alerts) << two.logs;
}

TEST(PartitionE2E, KillingADetectorMidStreamLosesNothingAndHandlesNothingTwice) {
  E2E_REQUIRE_HARNESS();
  Redis redis;
  e2e::TempDir dir;
  const std::string stream = e2e::unique_name("da-e2e-failover");
  // Learning for an hour: every event counts once in its profile's calls (bench/loadgen.cpp),
  // so the saved counts say exactly whether an event was lost or handled twice.
  const std::vector<std::string> learning{"--learn-min-seconds", "3600", "--progress-seconds", "600"};
  e2e::Process a(detector_argv(stream, dir.path + "/a", dir.path + "/a.jsonl", "detector-a", learning));
  const std::string port = std::to_string(e2e::free_port());
  auto b_argv = detector_argv(stream, dir.path + "/b", dir.path + "/b.jsonl", "detector-b", learning);
  b_argv.insert(b_argv.end(), {"--metrics", port});
  e2e::Process b(b_argv);
  ASSERT_TRUE(wait_balanced(redis, stream, {"detector-a", "detector-b"}, kShards / 2, 20s))
      << a.output() << b.output();
  constexpr int kEvents = 30000;  // per container: 2 × 6 × 30000 = 360 k events over about 9 s
  std::thread load([&] {
    auto r = loadgen(stream, "--events " + std::to_string(kEvents) + " --rate 40000");
    EXPECT_EQ(r.exit_code, 0) << r.output;
  });
  std::this_thread::sleep_for(4s);
  const auto killed_at = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(a.pid(), SIGKILL), 0);
  // Its shards move to b once their leases (2 s) expire.
  EXPECT_TRUE(wait_balanced(redis, stream, {"detector-b"}, kShards, 15s)) << b.output();
  const double takeover = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  load.join();
  ASSERT_TRUE(wait_checkpointed(redis, stream, 30s)) << b.output();
  // The survivor says so on /metrics: all four shards, taken over, entries claimed from a.
  const std::string metrics = sh("/usr/bin/python3 -c \"import urllib.request; print(urllib.request.urlopen("
                                 "'http://127.0.0.1:" + port + "/metrics', timeout=5).read().decode())\"").output;
  EXPECT_NE(metrics.find("docker_anomalies_shards_held 4"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("docker_anomalies_detectors_live 1"), std::string::npos) << metrics;
  const std::string taken = "docker_anomalies_shard_leases_total{change=\"taken\"} ";
  ASSERT_NE(metrics.find(taken), std::string::npos) << metrics;
  EXPECT_GE(std::atoi(metrics.c_str() + metrics.find(taken) + taken.size()), 4) << metrics;  // its own and a's
  EXPECT_EQ(b.terminate(), 0) << b.output();
  const auto profiles = redis.profiles(stream);
  ASSERT_EQ(profiles.size(), static_cast<size_t>(kImages)) << b.output();
  for (const auto& [id, p] : profiles) {
    EXPECT_EQ(p.calls, static_cast<uint64_t>(kAgents * kEvents)) << id << " (lost or handled twice)\n" << b.output();
    EXPECT_FALSE(p.files.empty()) << id;
  }
  EXPECT_LT(takeover, 10.0);
  std::printf("shards taken over %.1f s after the kill\n", takeover);
  redis.drop(stream);
}
