#pragma once
// Edge mode (issue 13): each host detects on its own (`run --fleet URL`) and only learning and
// alerts cross the network, through Redis:
//   <prefix>:images                 set of image ids some host is learning
//   <prefix>:<image id>:learned     hash: node name -> that node's learning profile (bytes)
//   <prefix>:<image id>:stable      the fleet's stable profile, once `fleet` has merged one
//   <prefix>:alerts                 stream: every host's alerts (JSON), for one dispatcher
// A node writes its whole learning profile, not a delta: writing it again changes nothing, so
// retries and restarts never count anything twice. Profiles and alerts are opaque bytes here.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transport/redis_stream.h"

namespace da {

constexpr const char* kDefaultFleetPrefix = "docker-anomalies:fleet";

class FleetLink {
 public:
  static Result<std::unique_ptr<FleetLink>> create(const RedisUrl& url,
                                                   std::string prefix = kDefaultFleetPrefix);
  // Nodes.
  Status contribute(const std::string& image_id, const std::string& node, const std::string& profile);
  Result<std::optional<std::string>> stable(const std::string& image_id);
  Status publish_alert(const std::string& json);
  // The merger and dispatcher (`fleet`).
  Result<std::vector<std::string>> images();
  Result<std::map<std::string, std::string>> contributions(const std::string& image_id);
  Status publish_stable(const std::string& image_id, const std::string& profile);
  struct Alert {
    std::string id, json;
  };
  // Alerts through the consumer group `group` (created if needed); waits up to `timeout_ms`.
  Result<std::vector<Alert>> read_alerts(const std::string& group, const std::string& consumer,
                                         long long timeout_ms);
  Status acknowledge_alerts(const std::string& group, const std::vector<Alert>& alerts);
  std::string describe() const;

 private:
  FleetLink(RedisUrl url, std::string prefix, RedisContextPtr c)
      : url_(std::move(url)), prefix_(std::move(prefix)), context_(std::move(c)) {}
  RedisUrl url_;
  std::string prefix_;
  RedisContextPtr context_;
};

}  // namespace da
