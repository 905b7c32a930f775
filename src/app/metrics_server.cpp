#include "app/metrics_server.h"

#include <CivetServer.h>
#include <prometheus/text_serializer.h>

#include <cstdlib>

#include "core/console.h"

namespace da {

class MetricsServer::Handler final : public CivetHandler {
 public:
  explicit Handler(std::function<void(mg_connection*)> serve) : serve_(std::move(serve)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    serve_(conn);
    return true;
  }

 private:
  std::function<void(mg_connection*)> serve_;
};

namespace {

void reply(mg_connection* conn, int status, const char* content_type, const std::string& body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
            status, status == 200 ? "OK" : "Service Unavailable", content_type, body.size());
  mg_write(conn, body.data(), body.size());
}

}  // namespace

Result<std::string> metrics_listen_address(const std::string& spec) {
  const auto colon = spec.rfind(':');
  const std::string host = colon == std::string::npos ? "127.0.0.1" : spec.substr(0, colon);
  const std::string port = colon == std::string::npos ? spec : spec.substr(colon + 1);
  char* end = nullptr;
  const long number = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || number < 1 || number > 65535 || host.empty())
    return Error{"--metrics needs PORT or HOST:PORT (e.g. 9464 for 127.0.0.1:9464), not '" + spec + "'",
                 ErrorCause::kInvalid};
  return host + ":" + port;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& address, Collect collect,
                                                            Health health) {
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  s->address_ = address;
  s->metrics_ = std::make_unique<Handler>([collect = std::move(collect)](mg_connection* conn) {
    reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", prometheus::TextSerializer().Serialize(collect()));
  });
  s->health_ = std::make_unique<Handler>([health = std::move(health)](mg_connection* conn) {
    const std::string problem = health();
    reply(conn, problem.empty() ? 200 : 503, "text/plain; charset=utf-8", problem.empty() ? "ok\n" : problem + "\n");
  });
  // civetweb takes "host:port"; one worker thread is plenty for a scraper and a probe.
  std::vector<std::string> options{"listening_ports", address, "num_threads", "2"};
  try {
    s->server_ = std::make_unique<CivetServer>(options);
  } catch (const CivetException& e) {
    return Error{"cannot serve metrics on " + address + ": " + e.what() + " (is the port in use?)"};
  }
  s->server_->addHandler("/metrics", s->metrics_.get());
  s->server_->addHandler("/healthz", s->health_.get());
  return s;
}

Result<std::unique_ptr<MetricsServer>> serve_metrics_if_asked(const std::string& spec,
                                                              MetricsServer::Collect collect,
                                                              MetricsServer::Health health, Console& console) {
  if (spec.empty()) return std::unique_ptr<MetricsServer>();
  auto address = metrics_listen_address(spec);
  if (!address) return address.error();
  auto server = MetricsServer::start(*address, std::move(collect), std::move(health));
  if (server) console.info("Serving /metrics and /healthz on http://" + (*server)->address());
  return server;
}

MetricsServer::~MetricsServer() {
  if (server_) server_->close();  // waits for requests in flight before the handlers go
}

prometheus::MetricFamily metric_family(const std::string& name, const std::string& help,
                                       prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void add_sample(prometheus::MetricFamily& family, double value, const std::map<std::string, std::string>& labels) {
  prometheus::ClientMetric m;
  for (const auto& [name, v] : labels) m.label.push_back({name, v});
  switch (family.type) {
    case prometheus::MetricType::Counter: m.counter.value = value; break;
    case prometheus::MetricType::Gauge: m.gauge.value = value; break;
    default: m.untyped.value = value; break;
  }
  family.metric.push_back(std::move(m));
}

}  // namespace da
