// Alert outputs without servers: noise control, the falcosidekick payload, the email message,
// syslog over a unix socket, the on-disk outbox across restarts, and the YAML configuration.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "alert/alert_dispatcher.h"
#include "alert/alert_format.h"
#include "alert/alert_gate.h"
#include "alert/email_sink.h"
#include "alert/webhook_sink.h"
#include "alert/syslog_sink.h"
#include "app/config_file.h"

namespace da {
namespace {

namespace fs = std::filesystem;

Anomaly sample(const std::string& subject = "/etc/shadow", Severity severity = Severity::kMedium) {
  Anomaly a;
  a.time_ns = 1'795'000'000'123'456'789ULL;
  a.host = "host1";
  a.container_id = std::string(64, 'a');
  a.container_name = "web";
  a.image = "registry:5000/shop/web:1.0";
  a.image_id = "sha256:abcdef";
  a.process.pid = 42;
  a.process.ns_pid = 7;
  a.process.comm = "cat";
  a.process.exe = "/bin/busybox";
  a.process.cmdline = {"cat", subject};
  a.process.parents = "sh(40) < containerd-shim(1)";
  a.kind = AnomalyKind::kFile;
  a.severity = severity;
  a.subject = subject;
  a.explanation = "cat opened " + subject + " for reading";
  a.profile_state = "stable, stable for 2h0m";
  return a;
}

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("da-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

class ScriptedSink final : public AlertSink {
 public:
  explicit ScriptedSink(std::atomic<bool>& up) : up_(up) {}
  std::string name() const override { return "scripted"; }
  bool durable() const override { return true; }
  Status deliver(const Anomaly& a) override {
    if (!up_) return Error{"server down"};
    delivered.push_back(a.subject);
    return ok_status();
  }
  std::vector<std::string> delivered;

 private:
  std::atomic<bool>& up_;
};

}  // namespace

TEST(AlertGate, RepeatsBecomeOneAlertWithACount) {
  int64_t now = 1000;
  std::vector<Anomaly> out;
  AlertGate gate({60, 0}, [&](const Anomaly& a) { out.push_back(a); }, [](const std::string&) {},
                 [&] { return now; });
  for (int i = 0; i < 5; ++i) gate.offer(sample());
  gate.offer(sample("/etc/other"));
  ASSERT_EQ(out.size(), 2u);  // the first of each at once
  EXPECT_EQ(out[0].count, 1u);
  now += 61;
  gate.tick();
  ASSERT_EQ(out.size(), 3u);  // the window closed: one follow-up for the 4 repeats
  EXPECT_EQ(out[2].count, 4u);
  EXPECT_NE(out[2].explanation.find("repeated 4 more times"), std::string::npos);
  EXPECT_EQ(gate.aggregated(), 4u);
}

TEST(AlertGate, RateLimitHoldsBackLesserAlertsButNeverHighOnes) {
  int64_t now = 1000;
  std::vector<Anomaly> out;
  std::vector<std::string> log;
  AlertGate gate({0, 3}, [&](const Anomaly& a) { out.push_back(a); },
                 [&](const std::string& m) { log.push_back(m); }, [&] { return now; });
  for (int i = 0; i < 10; ++i) gate.offer(sample("/f" + std::to_string(i)));
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(gate.rate_limited(), 7u);
  for (int i = 0; i < 4; ++i) gate.offer(sample("/h" + std::to_string(i), Severity::kHigh));
  EXPECT_EQ(out.size(), 7u);
  gate.flush();
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.back().find("7 medium/low alerts"), std::string::npos) << log.back();
}

TEST(AlertFormat, FalcosidekickPayload) {
  auto j = falco_payload(sample());
  for (const char* key : {"time", "rule", "priority", "output", "output_fields", "hostname", "tags", "source"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["time"], "2026-11-18T11:06:40.123456789Z");
  EXPECT_EQ(j["priority"], "Warning");
  EXPECT_EQ(j["hostname"], "host1");
  EXPECT_EQ(j["output_fields"]["container.image.repository"], "registry:5000/shop/web");
  EXPECT_EQ(j["output_fields"]["container.image.tag"], "1.0");
  EXPECT_EQ(j["output_fields"]["proc.cmdline"], "cat /etc/shadow");
  EXPECT_EQ(j["output_fields"]["fd.name"], "/etc/shadow");
  EXPECT_EQ(falco_payload(sample("/x", Severity::kHigh))["priority"], "Critical");
  Anomaly in_pod = sample();
  in_pod.container_labels = {{"io.kubernetes.pod.name", "web-7d4b9"}, {"io.kubernetes.pod.namespace", "shop"}};
  const auto pod = falco_payload(in_pod);
  EXPECT_EQ(pod["output_fields"]["k8s.pod.name"], "web-7d4b9");
  EXPECT_EQ(pod["output_fields"]["k8s.ns.name"], "shop");
  EXPECT_EQ(pod["output_fields"]["container.label.io.kubernetes.pod.name"], "web-7d4b9");
  EXPECT_EQ(pod["output_fields"]["labels"]["io.kubernetes.pod.namespace"], "shop");
  EXPECT_NE(alert_text(in_pod).find("labels:    io.kubernetes.pod.name=web-7d4b9"), std::string::npos) << alert_text(in_pod);
  auto back = anomaly_from_json(nlohmann::json::parse(anomaly_to_json(in_pod).dump()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->container_labels, in_pod.container_labels) << "labels survive the outbox";
  // One schema (issue 12): every field of ours is inside output_fields too.
  const auto ours = anomaly_to_json(sample());
  for (const auto& [key, value] : ours.items()) EXPECT_EQ(j["output_fields"][key], value) << key;
}

TEST(AlertFormat, EmailHasHeadersContextAndAdvice) {
  Anomaly a = sample();
  a.container_name = "evil\r\nBcc: x@y";  // header injection attempt through a container name
  const std::string m = email_message(a, "agent@example.com", {"a@example.com", "b@example.com"});
  EXPECT_NE(m.find("Subject: [docker-anomalies] medium anomaly in evil  Bcc: x@y (registry:5000/shop/web:1.0) on host1\r\n"),
            std::string::npos) << m;
  const std::string header = m.substr(0, m.find("\r\n\r\n"));
  EXPECT_EQ(header.find("\r\nBcc:"), std::string::npos) << header;
  EXPECT_NE(m.find("To: a@example.com, b@example.com\r\n"), std::string::npos);
  EXPECT_NE(m.find("cmdline cat /etc/shadow"), std::string::npos);
  EXPECT_NE(m.find("parents sh(40) < containerd-shim(1)"), std::string::npos);
  EXPECT_NE(m.find("profiles reset registry:5000/shop/web:1.0"), std::string::npos);
  EXPECT_EQ(m.find("\n\n"), std::string::npos) << "bare LF in an SMTP message";
}

TEST(AlertFormat, JsonRoundTrip) {
  Anomaly a = sample();
  a.count = 3;
  auto back = anomaly_from_json(nlohmann::json::parse(anomaly_to_json(a).dump()));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(anomaly_to_json(*back), anomaly_to_json(a));
  EXPECT_FALSE(anomaly_from_json(nlohmann::json::parse(R"({"time_ns": 1})")));
}

TEST(AlertFormat, OutOfRangeNumbersInAnOutboxLineAreRejected) {
  // A hand-edited or corrupted outbox: numbers that do not fit the field are an error, not a
  // float cast out of range (undefined behaviour) or a silent wrap.
  const nlohmann::json good = anomaly_to_json(sample());
  for (const auto& [field, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"pid", 1e300}, {"pid", 2.5}, {"tid", 4294967296LL}, {"uid", -1e300},
           {"time_ns", -1}, {"time_ns", 1e30}, {"count", -3}, {"ppid", "7"}}) {
    nlohmann::json j = good;
    j[field] = value;
    auto back = anomaly_from_json(j);
    EXPECT_FALSE(back) << field << " = " << value.dump();
  }
  nlohmann::json j = good;
  j["uid"] = -1;  // negative ids are in range: kept
  EXPECT_TRUE(anomaly_from_json(j));
}

TEST(EmailSink, RefusesPasswordsOnTheCommandLineAndIncompleteSettings) {
  EmailSettings s;
  s.smtp_url = "smtp://user:secret@127.0.0.1:25";
  s.from = "a@b";
  s.to = {"c@d"};
  auto sink = EmailSink::create(s);
  ASSERT_FALSE(sink);
  EXPECT_NE(sink.error().message.find("credentials file"), std::string::npos);
  s.smtp_url = "http://x";
  EXPECT_FALSE(EmailSink::create(s));
  s.smtp_url = "smtp://127.0.0.1:25";
  s.to.clear();
  EXPECT_FALSE(EmailSink::create(s));
  s.to = {"c@d"};
  s.credentials_file = "/nonexistent";
  EXPECT_FALSE(EmailSink::create(s));
}

TEST(SyslogSink, SendsRfc5424ToAUnixSocket) {
  const fs::path dir = temp_dir("syslog");
  const std::string path = (dir / "log.sock").string();
  int server = socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto sink = SyslogSink::create({"unix://" + path, "local3"});
  ASSERT_TRUE(sink) << sink.error().message;
  ASSERT_TRUE((*sink)->deliver(sample("/etc/shadow", Severity::kHigh)));
  char buf[4096];
  ssize_t n = recv(server, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  const std::string m(buf, static_cast<size_t>(n));
  EXPECT_EQ(m.rfind("<154>1 2026-11-18T11:06:40.123Z host1 docker-anomalies ", 0), 0u) << m;  // local3.crit
  EXPECT_NE(m.find("container=web"), std::string::npos);
  EXPECT_NE(m.find("cmdline=\"cat /etc/shadow\""), std::string::npos);
  close(server);
  EXPECT_FALSE(SyslogSink::create({"unix://" + (dir / "missing").string(), "daemon"}));
  EXPECT_FALSE(SyslogSink::create({"tcp://x", "daemon"}));
  EXPECT_FALSE(SyslogSink::create({"udp://127.0.0.1:514", "nonsense"}));
  fs::remove_all(dir);
}

TEST(AlertDispatcher, OutboxKeepsAlertsAcrossARestartUntilDelivered) {
  const fs::path outbox = temp_dir("outbox");
  std::atomic<bool> up{false};
  DispatcherSettings settings;
  settings.outbox_dir = outbox;
  settings.first_retry = std::chrono::milliseconds(5);
  settings.finish_grace = std::chrono::milliseconds(100);
  std::vector<std::string> log;
  std::mutex log_mutex;
  auto logger = [&](const std::string& m) {
    std::lock_guard lock(log_mutex);
    log.push_back(m);
  };
  {
    AlertDispatcher d(logger, settings);
    d.add_sink(std::make_unique<ScriptedSink>(up));
    d.publish(sample("/one"));
    d.publish(sample("/two"));
    d.finish();  // the server never came back in this run
    ASSERT_EQ(d.stats().size(), 1u);
    EXPECT_EQ(d.stats()[0].kept, 2u);
    EXPECT_EQ(d.stats()[0].failed, 0u);
  }
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(outbox)) files += e.path().extension() == ".json";
  EXPECT_EQ(files, 2u);

  up = true;  // next start, server up
  AlertDispatcher d(logger, settings);
  auto sink = std::make_unique<ScriptedSink>(up);
  ScriptedSink* seen = sink.get();
  d.add_sink(std::move(sink));
  d.publish(sample("/three"));
  d.finish();
  EXPECT_EQ(seen->delivered, (std::vector<std::string>{"/one", "/two", "/three"}));
  files = 0;
  for (const auto& e : fs::recursive_directory_iterator(outbox)) files += e.path().extension() == ".json";
  EXPECT_EQ(files, 0u);
  fs::remove_all(outbox);
}

TEST(AlertDispatcher, WaitsOutAnOutage) {
  std::atomic<bool> up{false};
  DispatcherSettings settings;
  settings.outbox_dir = temp_dir("outage");
  settings.first_retry = std::chrono::milliseconds(10);
  settings.max_retry = std::chrono::milliseconds(50);
  AlertDispatcher d([](const std::string&) {}, settings);
  auto sink = std::make_unique<ScriptedSink>(up);
  ScriptedSink* seen = sink.get();
  d.add_sink(std::move(sink));
  d.publish(sample("/during-outage"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // many failed attempts
  up = true;
  d.finish();
  EXPECT_EQ(seen->delivered, std::vector<std::string>{"/during-outage"});
  EXPECT_EQ(d.stats()[0].failed, 0u);
  fs::remove_all(settings.outbox_dir);
}

TEST(ConfigFile, AppliesEveryCommandAndRejectsUnknownKeys) {
  const fs::path dir = temp_dir("config");
  const std::string path = (dir / "c.yaml").string();
  std::ofstream(path) << R"(
state_dir: /srv/da
redis: redis://127.0.0.1:6390
learning:
  min_seconds: 120
  novelty: 0.002
  idle_seconds: 30
alerts:
  json_file: /var/log/da.jsonl
  email:
    smtp_url: smtps://mail.example.com:465
    from: agent@example.com
    to: [a@example.com, b@example.com]
  noise:
    rate_per_minute: 5
)";
  CaptureOptions run, agent;
  DetectOptions detect;
  ProfilesOptions profiles;
  AlertTestOptions alert_test;
  auto s = load_config(path, {}, {&run, &agent, &detect, &profiles, &alert_test});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(run.detection.state_dir, "/srv/da");
  EXPECT_EQ(profiles.state_dir, "/srv/da");
  EXPECT_EQ(agent.redis_url, "redis://127.0.0.1:6390");
  EXPECT_EQ(detect.redis_url, "redis://127.0.0.1:6390");
  EXPECT_EQ(detect.detection.learning.min_seconds, 120);
  EXPECT_DOUBLE_EQ(run.detection.learning.novelty, 0.002);
  EXPECT_EQ(profiles.learning.idle_seconds, 30);
  EXPECT_EQ(alert_test.alerts.email.to, (std::vector<std::string>{"a@example.com", "b@example.com"}));
  EXPECT_EQ(run.detection.alerts.noise.rate_per_minute, 5);
  EXPECT_EQ(run.detection.alerts.json_file, "/var/log/da.jsonl");

  std::ofstream(path) << "alerts:\n  email:\n    smtp_ulr: smtp://x\n";
  s = load_config(path, {}, {&run, &agent, &detect, &profiles, &alert_test});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("alerts.email.smtp_ulr"), std::string::npos) << s.error().message;
  std::ofstream(path) << "learning:\n  min_seconds: soon\n";
  EXPECT_FALSE(load_config(path, {}, {&run, &agent, &detect, &profiles, &alert_test}));
  EXPECT_FALSE(load_config((dir / "missing.yaml").string(), {}, {&run}));
  fs::remove_all(dir);
}

TEST(ConfigFile, TheExampleConfigIsValid) {
  CaptureOptions run, agent;
  DetectOptions detect;
  ProfilesOptions profiles;
  AlertTestOptions alert_test;
  auto s = load_config(std::string(DA_SOURCE_DIR) + "/docker-anomalies.example.yaml", {},
                       {&run, &agent, &detect, &profiles, &alert_test});
  ASSERT_TRUE(s) << s.error().message;
  // Issue 12: as shipped it must work on a fresh host — the default backend, no email to a
  // server that is not there (alert-test would fail), a JSON file whose directory is created.
  EXPECT_EQ(run.backend, "auto");
  EXPECT_TRUE(run.detection.alerts.email.smtp_url.empty());
  EXPECT_TRUE(run.detection.alerts.email.to.empty());
  EXPECT_FALSE(run.detection.alerts.json_file.empty());
}

}  // namespace da

namespace da {

TEST(WebhookSink, SecretHeadersComeFromAFileNeverTheCommandLine) {
  WebhookSettings s;
  s.url = "https://user:hunter2@hooks.example/alerts";
  s.headers = {"Authorization: Bearer hunter2"};
  auto refused = WebhookSink::create(s);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("--webhook-headers-file"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("hunter2"), std::string::npos) << refused.error().message;
  s.headers = {"X-Api-Key: hunter2"};
  EXPECT_FALSE(WebhookSink::create(s));
  s.headers = {"X-Team: ops"};
  EXPECT_TRUE(WebhookSink::create(s));

  s.headers_file = ::testing::TempDir() + "/webhook-headers";
  std::ofstream(s.headers_file) << "# tokens live here\nAuthorization: Bearer hunter2\n\n";
  EXPECT_TRUE(WebhookSink::create(s));
  std::ofstream(s.headers_file) << "no colon here\n";
  auto bad = WebhookSink::create(s);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(s.headers_file), std::string::npos);
  s.url = "ftp://user:hunter2@x";
  auto scheme = WebhookSink::create(s);
  ASSERT_FALSE(scheme);
  EXPECT_EQ(scheme.error().message.find("hunter2"), std::string::npos) << scheme.error().message;
}

}  // namespace da
