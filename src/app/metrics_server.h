#pragma once
// Prometheus metrics at /metrics and a health check at /healthz, over HTTP (civetweb), for
// operators. Off by default; on, it listens on loopback unless given another address. Each
// scrape collects families from where the numbers live (atomics, snapshots the owning threads
// refresh) and prometheus-cpp writes the text format, so the event path pays nothing.
#include <prometheus/metric_family.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

class CivetServer;

namespace da {

class MetricsServer {
 public:
  using Collect = std::function<std::vector<prometheus::MetricFamily>()>;
  using Health = std::function<std::string()>;  // empty when healthy, else why not (503)

  // `address` as metrics_listen_address() returns it.
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& address, Collect collect,
                                                      Health health);
  ~MetricsServer();
  const std::string& address() const { return address_; }

 private:
  class Handler;
  MetricsServer() = default;
  std::string address_;
  std::unique_ptr<Handler> metrics_, health_;
  std::unique_ptr<CivetServer> server_;
};

class Console;

// What `run`, `agent` and `detect` do with --metrics: nothing when `spec` is empty (nullptr),
// else the server on metrics_listen_address(spec), announced on the console.
Result<std::unique_ptr<MetricsServer>> serve_metrics_if_asked(const std::string& spec,
                                                              MetricsServer::Collect collect,
                                                              MetricsServer::Health health, Console& console);

// "9464" -> "127.0.0.1:9464" (loopback unless asked); "HOST:PORT" as given; else kInvalid.
Result<std::string> metrics_listen_address(const std::string& spec);

// Builders for the families a command exports.
prometheus::MetricFamily metric_family(const std::string& name, const std::string& help,
                                       prometheus::MetricType type);
void add_sample(prometheus::MetricFamily& family, double value,
                const std::map<std::string, std::string>& labels = {});

}  // namespace da
