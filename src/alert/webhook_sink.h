#pragma once
// Alerts as an HTTP POST of JSON in falcosidekick's input format (time, rule, priority, output,
// output_fields, hostname, tags, source), so falcosidekick can route them to Slack, PagerDuty,
// Elasticsearch... Any 2xx is delivered; anything else is retried.
#include <memory>

#include "alert/alert_settings.h"
#include "alert/alert_sink.h"

namespace da {

class WebhookSink final : public AlertSink {
 public:
  static Result<std::unique_ptr<WebhookSink>> create(const WebhookSettings& settings);
  std::string name() const override { return "webhook"; }
  Status deliver(const Anomaly& anomaly) override;
  bool durable() const override { return true; }

 private:
  explicit WebhookSink(WebhookSettings settings) : settings_(std::move(settings)) {}
  WebhookSettings settings_;
};

}  // namespace da
