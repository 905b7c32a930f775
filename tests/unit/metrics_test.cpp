// /metrics and /healthz over real HTTP on loopback, with families built from synthetic numbers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "app/metrics_families.h"
#include "app/metrics_server.h"
#include "loopback.h"

namespace da {
namespace {

// The whole HTTP answer to GET `path`.
std::string http_get(int port, const std::string& path) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  (void)!write(s, request.data(), request.size());
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = read(s, buf, sizeof buf)) > 0;) answer.append(buf, static_cast<size_t>(n));
  close(s);
  return answer;
}

TEST(Metrics, ListenAddressIsLoopbackUnlessGiven) {
  EXPECT_EQ(*metrics_listen_address("9464"), "127.0.0.1:9464");
  EXPECT_EQ(*metrics_listen_address("0.0.0.0:9464"), "0.0.0.0:9464");
  for (const char* bad : {"", "0", "70000", "x", "127.0.0.1:", ":9464"}) {
    auto r = metrics_listen_address(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().cause, ErrorCause::kInvalid) << bad;
  }
}

TEST(Metrics, ServesThePrometheusTextAndAHealthCheckThatCanFail) {
  CaptureCounters c;
  c.backend = "ebpf";
  c.transport = "in-process";
  c.captured = 1234;
  c.lost_by_backend = 5;
  c.containers = 3;
  DetectionMetrics d;
  ProfileSummary stable{};
  stable.image = "shop/web:1.0";
  stable.image_id = "sha256:aaaa";
  stable.state = ProfileState::kStable;
  stable.progress = 1;
  stable.novelty_estimate = 0.0004;
  d.profiles = {stable};
  d.alerts[{"file", "high"}] = 2;
  d.sinks = {{"email", 7, 1, 0, 4}};
  std::atomic<bool> healthy{true};
  const int port = loopback::free_port();
  auto server = MetricsServer::start(
      "127.0.0.1:" + std::to_string(port),
      [&] {
        std::vector<prometheus::MetricFamily> f;
        append_capture_metrics(f, c);
        append_detection_metrics(f, d);
        return f;
      },
      [&]() -> std::string { return healthy ? "" : "the Docker event stream is down; reconnecting"; });
  ASSERT_TRUE(server) << server.error().message;

  const std::string metrics = http_get(port, "/metrics");
  for (const char* line : {"HTTP/1.1 200", "# TYPE docker_anomalies_events_captured_total counter",
                           "docker_anomalies_events_captured_total{backend=\"ebpf\"} 1234",
                           "docker_anomalies_events_lost_total{backend=\"ebpf\",where=\"backend\"} 5",
                           "docker_anomalies_containers_monitored 3",
                           "docker_anomalies_profiles{state=\"stable\"} 1",
                           "docker_anomalies_profiles{state=\"learning\"} 0",
                           "docker_anomalies_profile_novelty_estimate{image=\"shop/web:1.0\"",
                           "docker_anomalies_alerts_total{kind=\"file\",severity=\"high\"} 2",
                           "docker_anomalies_alert_deliveries_total{sink=\"email\"} 7",
                           "docker_anomalies_alert_delivery_failures_total{sink=\"email\"} 1",
                           "docker_anomalies_alert_outbox{sink=\"email\"} 4"})
    EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;

  EXPECT_NE(http_get(port, "/healthz").find("HTTP/1.1 200"), std::string::npos);
  healthy = false;
  const std::string unhealthy = http_get(port, "/healthz");
  EXPECT_NE(unhealthy.find("HTTP/1.1 503"), std::string::npos) << unhealthy;
  EXPECT_NE(unhealthy.find("event stream is down"), std::string::npos) << unhealthy;

  // A second server on the same port is a clear error, not a crash.
  auto again = MetricsServer::start("127.0.0.1:" + std::to_string(port), [] { return std::vector<prometheus::MetricFamily>{}; },
                                    [] { return std::string(); });
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("cannot serve metrics on 127.0.0.1:" + std::to_string(port)), std::string::npos);
  server->reset();
  EXPECT_EQ(http_get(port, "/metrics"), "") << "stopped";
}

}  // namespace
}  // namespace da
