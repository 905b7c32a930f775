#pragma once
// Edge mode: every alert also goes to the fleet's alert stream in Redis (transport/fleet_link.h),
// where one dispatcher (`fleet`) tells the admins once per incident, not once per host. Durable:
// while Redis is away, alerts wait in the outbox.
#include <memory>

#include "alert/alert_settings.h"
#include "alert/alert_sink.h"
#include "transport/fleet_link.h"

namespace da {

class FleetAlertSink final : public AlertSink {
 public:
  static Result<std::unique_ptr<FleetAlertSink>> create(const FleetAlertSettings& settings);
  std::string name() const override { return "fleet alert stream"; }
  Status deliver(const Anomaly& anomaly) override;
  bool durable() const override { return true; }

 private:
  explicit FleetAlertSink(std::unique_ptr<FleetLink> link) : link_(std::move(link)) {}
  std::unique_ptr<FleetLink> link_;
};

}  // namespace da
