// Alert outputs against real servers on loopback: an SMTP server (Debian's python3-aiosmtpd)
// with STARTTLS and AUTH, an HTTP receiver for the webhook. A live anomaly arrives by email
// with its full context, and an SMTP outage of 30 s loses no alert.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "e2e_support.h"

using namespace std::chrono_literals;
using e2e::sh;
using e2e::trim;

namespace {

namespace fs = std::filesystem;

struct Workdir {
  std::string path;
  Workdir() : path(::testing::TempDir() + e2e::unique_name("da-alerts")) { fs::create_directories(path); }
  ~Workdir() { fs::remove_all(path); }
};

std::string harness(const char* script) { return std::string(DA_SOURCE_DIR) + "/tests/harness/" + script; }

// A self-signed certificate for 127.0.0.1, made with openssl.
void make_certificate(const std::string& dir) {
  auto r = sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir + "/key.pem -out " + dir +
              "/cert.pem -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

std::vector<std::string> files_in(const std::string& dir, const std::string& extension) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == extension) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits until some mail in `dir` contains `needle`; returns it, or "".
std::string wait_for_mail(const std::string& dir, const std::string& needle, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    for (const auto& f : files_in(dir, ".eml")) {
      std::string m = slurp(f);
      if (m.find(needle) != std::string::npos) return m;
    }
    std::this_thread::sleep_for(250ms);
  }
  return "";
}

}  // namespace

TEST(AlertE2E, AlertTestDeliversEmailOverStartTlsWithAuthAndTheWebhookAndJson) {
  E2E_REQUIRE_HARNESS();
  Workdir work;
  make_certificate(work.path);
  const int smtp_port = e2e::free_port(), http_port = e2e::free_port();
  e2e::Process smtp({"/usr/bin/python3", harness("smtp_sink.py"), std::to_string(smtp_port), work.path + "/mail",
                     "--starttls", work.path + "/cert.pem", work.path + "/key.pem", "--require-tls",
                     "--auth", "alice:s3cret"});
  e2e::Process http({"/usr/bin/python3", harness("http_sink.py"), std::to_string(http_port), work.path + "/hooks"});
  ASSERT_TRUE(smtp.wait_for_output("ready", 15s)) << smtp.output();
  ASSERT_TRUE(http.wait_for_output("ready", 15s)) << http.output();
  std::ofstream(work.path + "/credentials") << "alice:s3cret\n";
  std::ofstream(work.path + "/headers") << "# the receiver's token\nX-Token: abc\n";
  const std::string json = work.path + "/alerts.jsonl";

  auto r = sh(std::string(DA_BINARY) + " alert-test --smtp-url smtp://127.0.0.1:" + std::to_string(smtp_port) +
              " --email-to admin@example.com --email-from agent@example.com --smtp-require-tls" +
              " --smtp-credentials " + work.path + "/credentials --smtp-ca-file " + work.path + "/cert.pem" +
              " --alert-json " + json + " --webhook-url http://127.0.0.1:" + std::to_string(http_port) + "/alerts" +
              " --webhook-header 'X-Team: ops' --webhook-headers-file " + work.path + "/headers 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  const std::string mail = wait_for_mail(work.path + "/mail", "Subject:", 10s);
  ASSERT_FALSE(mail.empty());
  EXPECT_NE(mail.find("X-Envelope-From: agent@example.com"), std::string::npos) << mail;
  EXPECT_NE(mail.find("X-Envelope-To: admin@example.com"), std::string::npos) << mail;
  EXPECT_NE(mail.find("X-Session-TLS: yes"), std::string::npos) << mail;
  EXPECT_NE(mail.find("X-Session-Auth: True"), std::string::npos) << mail;
  EXPECT_NE(mail.find("Subject: [docker-anomalies] test alert from"), std::string::npos) << mail;

  auto lines = slurp(json);
  EXPECT_NE(lines.find("\"test\":true"), std::string::npos) << lines;
  auto hooks = files_in(work.path + "/hooks", ".json");
  ASSERT_EQ(hooks.size(), 1u);
  auto payload = nlohmann::json::parse(slurp(hooks[0]));
  for (const char* key : {"time", "rule", "priority", "output", "output_fields", "hostname", "tags", "source"})
    EXPECT_TRUE(payload.contains(key)) << key;
  const std::string sent_headers = slurp(hooks[0].substr(0, hooks[0].size() - 5) + ".headers");
  EXPECT_NE(sent_headers.find("X-Token: abc"), std::string::npos) << sent_headers;
  EXPECT_NE(sent_headers.find("X-Team: ops"), std::string::npos) << sent_headers;

  // Implicit TLS (smtps://) works too.
  const int smtps_port = e2e::free_port();
  e2e::Process smtps({"/usr/bin/python3", harness("smtp_sink.py"), std::to_string(smtps_port), work.path + "/smtps-mail",
                      "--smtps", work.path + "/cert.pem", work.path + "/key.pem"});
  ASSERT_TRUE(smtps.wait_for_output("ready", 15s)) << smtps.output();
  r = sh(std::string(DA_BINARY) + " alert-test --smtp-url smtps://127.0.0.1:" + std::to_string(smtps_port) +
         " --email-to admin@example.com --email-from agent@example.com --smtp-ca-file " + work.path +
         "/cert.pem 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output << smtps.output();
  const std::string tls_mail = wait_for_mail(work.path + "/smtps-mail", "Subject:", 10s);
  EXPECT_NE(tls_mail.find("X-Session-TLS: yes"), std::string::npos) << tls_mail;
  // A certificate the agent does not trust is refused.
  r = sh(std::string(DA_BINARY) + " alert-test --smtp-url smtps://127.0.0.1:" + std::to_string(smtps_port) +
         " --email-to admin@example.com --email-from agent@example.com 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.output;

  // Wrong password: a clear failure and a non-zero exit.
  std::ofstream(work.path + "/credentials") << "alice:wrong\n";
  r = sh(std::string(DA_BINARY) + " alert-test --smtp-url smtp://127.0.0.1:" + std::to_string(smtp_port) +
         " --email-to admin@example.com --email-from agent@example.com --smtp-credentials " + work.path +
         "/credentials --smtp-ca-file " + work.path + "/cert.pem 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("FAILED  email"), std::string::npos) << r.output;
  // A webhook answering 500 is a failure too.
  const int refusing_port = e2e::free_port();
  e2e::Process refusing({"/usr/bin/python3", harness("http_sink.py"), std::to_string(refusing_port),
                         work.path + "/refused", "--status", "500"});
  ASSERT_TRUE(refusing.wait_for_output("ready", 15s)) << refusing.output();
  r = sh(std::string(DA_BINARY) + " alert-test --webhook-url http://127.0.0.1:" + std::to_string(refusing_port) + "/ 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("HTTP 500"), std::string::npos) << r.output;
}

TEST(AlertE2E, LiveAnomalyArrivesByEmailWithFullContextAfterA30SecondOutage) {
  E2E_REQUIRE_HARNESS();
  Workdir work;
  const int smtp_port = e2e::free_port();
  const std::string name = e2e::unique_name("mailme");
  const std::string image = e2e::image();
  // The SMTP server is down when the anomaly happens.
  e2e::Process agent({DA_BINARY, "run", "--state-dir", work.path + "/state", "--learn-min-seconds", "8",
                      "--learn-novelty", "0.02", "--learn-max-seconds", "40", "--smtp-url", "smtp://127.0.0.1:" + std::to_string(smtp_port),
                      "--email-to", "admin@example.com", "--email-from", "agent@example.com"});
  ASSERT_TRUE(agent.wait_for_output("Listening for docker events...", 10s)) << agent.output();
  auto run = sh("docker run -d --network none --name " + name + " " + image +
                " sh -c 'while true; do cat /etc/da-marker >/dev/null; sleep 0.2; done'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string id = trim(run.output);
  ASSERT_TRUE(agent.wait_for_output("profile of " + image + " is stable", 90s)) << agent.output();

  auto exec = sh("docker exec " + name + " cat /etc/shadow");
  ASSERT_EQ(exec.exit_code, 0) << exec.output;
  ASSERT_TRUE(agent.wait_for_output("ALERT high file anomaly", 15s)) << agent.output();
  ASSERT_TRUE(agent.wait_for_output("(retrying)", 15s)) << agent.output();  // SMTP is down
  std::this_thread::sleep_for(30s);

  e2e::Process smtp({"/usr/bin/python3", harness("smtp_sink.py"), std::to_string(smtp_port), work.path + "/mail"});
  ASSERT_TRUE(smtp.wait_for_output("ready", 15s)) << smtp.output();
  // The outbox retries with backoff capped at 30 s.
  const std::string mail = wait_for_mail(work.path + "/mail", "/etc/shadow", 60s);
  ASSERT_FALSE(mail.empty()) << agent.output();
  for (const std::string& needle :
       {"Subject: [docker-anomalies] high anomaly in " + name + " (" + image + ") on ", std::string("X-Envelope-To: admin@example.com"),
        "Container " + name + " (" + id + ")", "Image    " + image + " (sha256:", std::string("cmdline cat /etc/shadow"),
        std::string("comm cat, exe /bin/busybox"), std::string("kind file, severity high"),
        std::string("profiles reset " + image), std::string("profile: stable")})
    EXPECT_NE(mail.find(needle), std::string::npos) << needle << "\n" << mail;
  EXPECT_EQ(agent.terminate(), 0) << agent.output();
  EXPECT_EQ(files_in(work.path + "/state/outbox/email", ".json").size(), 0u);
  sh("docker rm -f " + name + " >/dev/null");
}
