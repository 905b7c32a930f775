// The foundation end to end: a real dockerd, real containers, the real agent binary, a real
// redis-server, and the stream decoded by another msgpack implementation (Python's).
// A Redis that speaks TLS only is reached through an stunnel client.
#include <nlohmann/json.hpp>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e_support.h"

using namespace std::chrono_literals;
using e2e::sh;
using e2e::trim;

namespace {

std::string start_container(const std::string& name, const std::string& script) {
  auto r = sh("docker run -d --network none --name " + name + " " + e2e::image() + " sh -c '" +
              script + "'");
  return r.exit_code == 0 ? trim(r.output) : "";
}

void remove_container(const std::string& name) { sh("docker rm -f " + name + " >/dev/null"); }

std::vector<nlohmann::json> stream_events(const std::string& stream) {
  auto r = sh(std::string("/usr/bin/python3 ") + DA_SOURCE_DIR + "/tests/e2e/decode_stream.py " +
              e2e::redis_url() + " " + stream);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<nlohmann::json> events;
  std::istringstream lines(r.output);
  for (std::string l; std::getline(lines, l);) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (!j.is_discarded()) events.push_back(j);
  }
  return events;
}

bool opened(const nlohmann::json& e, const std::string& path) {
  return e["name"] == "openat" && e["args"].size() > 1 && e["args"][1] == path;
}

}  // namespace

TEST(CaptureE2E, NewContainerAndDockerExecReachTheRedisStreamAsMsgpack) {
  E2E_REQUIRE_HARNESS();
  const std::string stream = e2e::unique_name("da-e2e-stream");
  const std::string name = e2e::unique_name("loop");
  e2e::Process agent({DA_BINARY, "run", "--backend", "ptrace", "--state-dir",
                      ::testing::TempDir() + e2e::unique_name("state"), "--redis", e2e::redis_url(),
                      "--stream", stream, "--print-syscalls"});
  ASSERT_TRUE(agent.wait_for_output("Listening for docker events...", 10s)) << agent.output();

  const std::string id =
      start_container(name, "while true; do cat /etc/hostname >/dev/null; sleep 0.2; done");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(agent.wait_for_output("Monitoring container: " + id.substr(0, 12), 10s))
      << agent.output();
  ASSERT_TRUE(agent.wait_for_output("\"/etc/hostname\"", 10s)) << agent.output();

  // docker exec enters through runc, not below the container's init: it must be seen too.
  auto exec = sh("docker exec " + name + " cat /etc/da-marker");
  ASSERT_EQ(exec.exit_code, 0) << exec.output;
  ASSERT_TRUE(agent.wait_for_output("\"/etc/da-marker\"", 10s)) << agent.output();

  const auto pids = e2e::container_pids(id);
  ASSERT_FALSE(pids.empty());
  EXPECT_EQ(agent.terminate(), 0) << agent.output();
  const std::string out = agent.output();
  EXPECT_NE(out.find("captured "), std::string::npos) << out;
  EXPECT_NE(out.find(", dropped 0"), std::string::npos) << out;

  // After SIGTERM the container runs on, untraced.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(trim(sh("docker inspect -f '{{.State.Running}}' " + name).output), "true");
  for (pid_t pid : e2e::container_pids(id)) EXPECT_EQ(e2e::tracer_pid_of(pid), 0) << pid;

  auto events = stream_events(stream);
  ASSERT_FALSE(events.empty());
  bool loop_open = false, exec_open = false, exec_execve = false;
  for (const auto& e : events) {
    if (e["cid"] != id) continue;
    loop_open |= opened(e, "/etc/hostname") && e["ret"].get<int64_t>() >= 0;
    exec_open |= opened(e, "/etc/da-marker");
    exec_execve |= e["name"] == "execve" && e["args"][1].is_array() &&
                   e["args"][1].size() == 2 && e["args"][1][1] == "/etc/da-marker";
  }
  EXPECT_TRUE(loop_open) << "no openat of /etc/hostname attributed to " << id;
  EXPECT_TRUE(exec_open) << "docker exec's openat of /etc/da-marker missing";
  EXPECT_TRUE(exec_execve) << "docker exec's execve (argv) missing";
  // The container's processes report their pid inside the container.
  for (const auto& e : events) {
    if (e["cid"] == id) {
      EXPECT_GT(e["nspid"].get<int>(), 0);
    }
  }
  remove_container(name);
}

TEST(CaptureE2E, ContainersAlreadyRunningAtStartAreMonitored) {
  E2E_REQUIRE_HARNESS();
  const std::string name = e2e::unique_name("early");
  const std::string id =
      start_container(name, "while true; do cat /etc/da-marker >/dev/null; sleep 0.2; done");
  ASSERT_FALSE(id.empty());
  // Per-process lines are logged at debug level only.
  e2e::Process agent({DA_BINARY, "run", "--print-syscalls", "--log-level", "debug", "--state-dir",
                      ::testing::TempDir() + e2e::unique_name("state")});
  ASSERT_TRUE(agent.wait_for_output("Monitoring container: " + id.substr(0, 12), 10s))
      << agent.output();
  ASSERT_TRUE(agent.wait_for_output("debug: Monitoring process ID:", 10s)) << agent.output();
  ASSERT_TRUE(agent.wait_for_output("\"/etc/da-marker\"", 10s)) << agent.output();
  // The container stops: the agent says so.
  sh("docker stop -t 1 " + name);
  EXPECT_TRUE(agent.wait_for_output("Finished monitoring container: " + id.substr(0, 12), 15s))
      << agent.output();
  EXPECT_EQ(agent.terminate(), 0);
  EXPECT_NE(agent.output().find(id.substr(0, 12) + ": "), std::string::npos);  // per-container count
  remove_container(name);
}

TEST(CaptureE2E, DumpReadsTheStreamBackAsJsonLines) {
  E2E_REQUIRE_HARNESS();
  const std::string stream = e2e::unique_name("da-dump");
  e2e::Process agent({DA_BINARY, "agent", "--redis", e2e::redis_url(), "--stream", stream});
  ASSERT_TRUE(agent.wait_for_output("Listening for docker events...", 10s)) << agent.output();
  const std::string name = e2e::unique_name("dump");
  // A container that keeps making calls: its first ones run before Docker's start event reaches
  // the agent (a known ptrace limit), so the test must not depend on those.
  const std::string id =
      start_container(name, "while true; do cat /etc/hostname >/dev/null; sleep 0.1; done");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(agent.wait_for_output("Monitoring container", 10s)) << agent.output();

  // dump reads what is there and ends; poll until the agent's first batches have landed.
  // Only stdout: warnings on stderr are not JSON lines (sh() merges the two).
  const std::string dump_cmd = "/bin/sh -c '" + std::string(DA_BINARY) + " dump --redis " +
                               e2e::redis_url() + " --stream " + stream + " --count 5 2>/dev/null'";
  std::vector<nlohmann::json> events;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (events.size() < 5 && std::chrono::steady_clock::now() < deadline) {
    auto dump = sh(dump_cmd);
    ASSERT_EQ(dump.exit_code, 0) << dump.output;
    events.clear();
    std::istringstream lines(dump.output);
    for (std::string l; std::getline(lines, l);) {
      auto j = nlohmann::json::parse(l, nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << "not a JSON line: " << l;
      events.push_back(j);
    }
    if (events.size() < 5) std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(agent.terminate(), 0) << agent.output();
  ASSERT_EQ(events.size(), 5u) << "--count 5 must print exactly 5 events once they exist";
  for (const auto& j : events) {
    EXPECT_EQ(j["container_id"], id);
    EXPECT_TRUE(j["arguments"].is_array());
    EXPECT_TRUE(j["name"].is_string());
  }
  remove_container(name);
}

TEST(CaptureE2E, UnreachableDockerIsAClearError) {
  E2E_REQUIRE_HARNESS();
  auto r = sh(std::string(DA_BINARY) + " run --docker-host unix:///nonexistent/docker.sock");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("cannot reach Docker at unix:///nonexistent/docker.sock"),
            std::string::npos)
      << r.output;
}

TEST(CaptureE2E, EventsReachARedisThatOnlySpeaksTlsThroughAnStunnelClient) {
  // Issue 11: no TLS to Redis. Debian 12's hiredis (0.14) has none, so the supported way
  // (docs/redis-tls.md) is an stunnel client beside the agent: the agent speaks plain Redis to
  // a port on 127.0.0.1, stunnel checks the server's certificate against a CA and carries the
  // connection over TLS. Here redis-server listens on a TLS port only.
  E2E_REQUIRE_HARNESS();
  const std::string dir = ::testing::TempDir() + e2e::unique_name("da-redis-tls");
  ASSERT_EQ(sh("mkdir -p " + dir).exit_code, 0);
  {
    std::ofstream(dir + "/san.ext") << "subjectAltName=IP:127.0.0.1\n";
    auto certs = sh("cd " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=da-e2e-ca "
                    "-keyout ca.key -out ca.crt && openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
                    "-keyout server.key -out server.csr && openssl x509 -req -in server.csr -CA ca.crt "
                    "-CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out server.crt");
    ASSERT_EQ(certs.exit_code, 0) << certs.output;
  }
  const std::string tls_port = std::to_string(e2e::free_port());
  const std::string tunnel_port = std::to_string(e2e::free_port());
  e2e::Process redis({"/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", "0", "--tls-port", tls_port,
                      "--tls-cert-file", dir + "/server.crt", "--tls-key-file", dir + "/server.key",
                      "--tls-ca-cert-file", dir + "/ca.crt", "--tls-auth-clients", "no", "--save", "",
                      "--appendonly", "no", "--dir", dir});
  std::ofstream(dir + "/stunnel.conf") << "foreground = yes\npid =\n[redis]\nclient = yes\n"
                                       << "accept = 127.0.0.1:" << tunnel_port << "\n"
                                       << "connect = 127.0.0.1:" << tls_port << "\n"
                                       << "verifyChain = yes\nCAfile = " << dir << "/ca.crt\n"
                                       << "checkIP = 127.0.0.1\n";
  e2e::Process stunnel({"/usr/bin/stunnel4", dir + "/stunnel.conf"});
  const std::string through_tunnel = "redis-cli -h 127.0.0.1 -p " + tunnel_port;
  const std::string over_tls = "redis-cli --tls --cacert " + dir + "/ca.crt -h 127.0.0.1 -p " + tls_port;
  bool up = false;
  for (int i = 0; i < 50 && !up; ++i) {
    up = trim(sh(through_tunnel + " PING").output) == "PONG";
    if (!up) std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(up) << redis.output() << stunnel.output();
  // Plain Redis on the TLS port gets nowhere: the tunnel is the only plain way in.
  EXPECT_NE(trim(sh("timeout 5 redis-cli -h 127.0.0.1 -p " + tls_port + " PING").output), "PONG");

  const std::string stream = e2e::unique_name("da-tls-stream");
  e2e::Process agent({DA_BINARY, "agent", "--redis", "redis://127.0.0.1:" + tunnel_port, "--stream", stream});
  ASSERT_TRUE(agent.wait_for_output("Listening for docker events...", 10s)) << agent.output();
  const std::string name = e2e::unique_name("tls");
  const std::string id =
      start_container(name, "while true; do cat /etc/hostname >/dev/null; sleep 0.1; done");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(agent.wait_for_output("Monitoring container", 10s)) << agent.output();
  long entries = 0;
  for (int i = 0; i < 75 && entries == 0; ++i) {
    entries = std::atol(trim(sh(over_tls + " XLEN " + stream).output).c_str());
    if (entries == 0) std::this_thread::sleep_for(200ms);
  }
  EXPECT_GT(entries, 0) << "the agent's batches never reached the TLS-only server";
  // And the detection side reads them back through its own tunnel (here the same one).
  auto dump = sh("/bin/sh -c '" + std::string(DA_BINARY) + " dump --redis redis://127.0.0.1:" + tunnel_port +
                 " --stream " + stream + " --count 3 2>/dev/null'");
  EXPECT_EQ(dump.exit_code, 0) << dump.output;
  std::istringstream lines(dump.output);
  int ours = 0;
  for (std::string l; std::getline(lines, l);) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (!j.is_discarded() && j["container_id"] == id) ++ours;
  }
  EXPECT_EQ(ours, 3) << dump.output;
  EXPECT_EQ(agent.terminate(), 0) << agent.output();
  remove_container(name);
  stunnel.terminate();
  redis.terminate();
  sh("rm -rf " + dir);
}

TEST(CaptureE2E, AKilledPtraceAgentLeavesNoProcessTracedOrStopped) {
  // Issue 11, fault injection: kill -9 of the ptrace agent while it traces a busy container,
  // five times over. The kernel detaches the tracees of a dead tracer; none may be left traced
  // or stopped, and the workload goes on.
  E2E_REQUIRE_HARNESS();
  const std::string name = e2e::unique_name("kill9");
  const std::string id = start_container(
      name, "while true; do cat /etc/hostname >/dev/null; echo x >> /tmp/beats; sleep 0.01; done");
  ASSERT_FALSE(id.empty());
  const std::string state = ::testing::TempDir() + e2e::unique_name("state");
  auto beats = [&] { return std::atol(trim(sh("docker exec " + name + " sh -c 'wc -l < /tmp/beats'").output).c_str()); };
  for (int round = 0; round < 5; ++round) {
    e2e::Process agent({DA_BINARY, "run", "--backend", "ptrace", "--state-dir", state});
    ASSERT_TRUE(agent.wait_for_output("Monitoring container: " + id.substr(0, 12), 15s)) << agent.output();
    bool traced = false;
    for (int i = 0; i < 100 && !traced; ++i) {
      // The tracer is one of the agent's threads: TracerPid names that thread, not the agent.
      for (pid_t pid : e2e::container_pids(id)) traced |= e2e::tracer_pid_of(pid) > 0;
      if (!traced) std::this_thread::sleep_for(100ms);
    }
    std::string seen;
    for (pid_t pid : e2e::container_pids(id))
      seen += " " + std::to_string(pid) + ":" + std::to_string(e2e::tracer_pid_of(pid));
    ASSERT_TRUE(traced) << "pid:tracer" << seen << "\n" << agent.output();
    ::kill(agent.pid(), SIGKILL);
    agent.terminate();  // reaps it
    std::this_thread::sleep_for(300ms);
    for (pid_t pid : e2e::container_pids(id)) {
      // The loop's `cat` lives for a millisecond: one listed may be gone before it is read.
      const int tracer = e2e::tracer_pid_of(pid);
      if (tracer < 0) continue;
      EXPECT_EQ(tracer, 0) << "round " << round << ", pid " << pid;
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string line;
      std::getline(stat, line);
      const auto close = line.rfind(')');
      if (close != std::string::npos && close + 2 < line.size()) {
        EXPECT_TRUE(line[close + 2] != 't' && line[close + 2] != 'T')
            << "round " << round << ", pid " << pid << " is stopped: " << line;
      }
    }
    const long before = beats();
    std::this_thread::sleep_for(500ms);
    EXPECT_GT(beats(), before) << "round " << round << ": the workload stopped";
  }
  remove_container(name);
  sh("rm -rf " + state);
}

TEST(CaptureE2E, MetricsAndHealthAreServedOnLoopback) {
  // Issue 12: Prometheus /metrics and /healthz, off by default, loopback when on.
  E2E_REQUIRE_HARNESS();
  const std::string name = e2e::unique_name("metrics");
  const std::string id = start_container(name, "while true; do cat /etc/hostname >/dev/null; sleep 0.1; done");
  ASSERT_FALSE(id.empty());
  const std::string port = std::to_string(e2e::free_port());
  const std::string state = ::testing::TempDir() + e2e::unique_name("state");
  e2e::Process agent({DA_BINARY, "run", "--metrics", port, "--state-dir", state});
  ASSERT_TRUE(agent.wait_for_output("Serving /metrics and /healthz on http://127.0.0.1:" + port, 15s)) << agent.output();
  ASSERT_TRUE(agent.wait_for_output("Monitoring container: " + id.substr(0, 12), 15s)) << agent.output();
  auto get = [&](const std::string& path) {
    return sh("/usr/bin/python3 -c \"import urllib.request,urllib.error,sys\ntry:\n r=urllib.request.urlopen("
              "'http://127.0.0.1:" + port + path + "', timeout=5); print(r.status); print(r.read().decode())\n"
              "except urllib.error.HTTPError as e: print(e.code); print(e.read().decode())\"");
  };
  // The profile snapshot refreshes once a second, after the container's first events.
  e2e::Shell metrics{};
  for (int i = 0; i < 50; ++i) {
    metrics = get("/metrics");
    if (metrics.output.find("docker_anomalies_profiles{state=\"learning\"} 1") != std::string::npos) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(metrics.output.rfind("200", 0), 0u) << metrics.output;
  EXPECT_NE(metrics.output.find("docker_anomalies_containers_monitored 1"), std::string::npos) << metrics.output;
  EXPECT_NE(metrics.output.find("docker_anomalies_profiles{state=\"learning\"} 1"), std::string::npos) << metrics.output;
  const auto captured = metrics.output.find("docker_anomalies_events_captured_total{backend=");
  ASSERT_NE(captured, std::string::npos) << metrics.output;
  EXPECT_GT(std::atof(metrics.output.c_str() + metrics.output.find("} ", captured) + 2), 0) << metrics.output;
  const auto health = get("/healthz");
  EXPECT_EQ(trim(health.output), "200\nok") << health.output;
  // Not on any other address than loopback.
  EXPECT_NE(sh("ss -ltn | grep ':" + port + " '").output.find("127.0.0.1:" + port), std::string::npos);
  EXPECT_EQ(agent.terminate(), 0) << agent.output();
  remove_container(name);
  sh("rm -rf " + state);
}

TEST(CaptureE2E, SighupReloadsSigusr1ReopensAndNeitherStopsTheAgent) {
  // Issue 12: SIGHUP killed `trace` (exit 129, no summary) and reloaded nothing; SIGUSR1 too.
  E2E_REQUIRE_HARNESS();
  const std::string dir = ::testing::TempDir() + e2e::unique_name("da-signals");
  ASSERT_EQ(sh("mkdir -p " + dir).exit_code, 0);
  const std::string config = dir + "/config.yaml";
  std::ofstream(config) << "alerts:\n  noise:\n    rate_per_minute: 20\n";
  e2e::Process agent({DA_BINARY, "run", "--config", config, "--state-dir", dir + "/state"});
  ASSERT_TRUE(agent.wait_for_output("Listening for docker events...", 15s)) << agent.output();

  std::ofstream(config) << "alerts:\n  json_file: " << dir << "/alerts.jsonl\n  noise:\n    rate_per_minute: 5\n";
  ::kill(agent.pid(), SIGHUP);
  EXPECT_TRUE(agent.wait_for_output("reloaded the configuration: alert outputs console, json:" + dir + "/alerts.jsonl; "
                                    "noise window 300 s, rate 5/min",
                                    10s))
      << agent.output();
  std::ofstream(config) << "alerts:\n  nosie: {}\n";
  ::kill(agent.pid(), SIGHUP);
  EXPECT_TRUE(agent.wait_for_output("reload: the configuration has errors (above); nothing changed", 10s)) << agent.output();
  EXPECT_NE(agent.output().find("unknown key 'alerts.nosie'"), std::string::npos) << agent.output();
  ::kill(agent.pid(), SIGUSR1);
  EXPECT_TRUE(agent.wait_for_output("SIGUSR1: alert files are reopened", 10s)) << agent.output();
  EXPECT_EQ(agent.terminate(), 0) << agent.output();

  e2e::Process trace({DA_BINARY, "trace", "--", "/bin/sleep", "2"});
  std::this_thread::sleep_for(500ms);
  ::kill(trace.pid(), SIGHUP);
  const int code = trace.terminate(10s);  // SIGTERM after the SIGHUP: ends with the summary
  EXPECT_EQ(code, 1) << "a trace stopped before its command ended says so\n" << trace.output();
  EXPECT_NE(trace.output().find("captured "), std::string::npos) << trace.output();
  sh("rm -rf " + dir);
}
