#include "alert/fleet_alert_sink.h"

#include "alert/alert_format.h"

namespace da {

Result<std::unique_ptr<FleetAlertSink>> FleetAlertSink::create(const FleetAlertSettings& settings) {
  auto url = redis_url_with_credentials(settings.redis_url, settings.credentials);
  if (!url) return Error{url.error().message, ErrorCause::kInvalid};
  auto link = FleetLink::create(*url);
  if (!link) return link.error();
  return std::unique_ptr<FleetAlertSink>(new FleetAlertSink(std::move(*link)));
}

// Our own schema (anomaly_to_json), which the dispatcher reads back whole; the Falco shape is
// for the admins' outputs.
Status FleetAlertSink::deliver(const Anomaly& anomaly) { return link_->publish_alert(anomaly_to_json(anomaly).dump()); }

}  // namespace da
