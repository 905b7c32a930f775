#pragma once
// Alerts on the console (stdout): a few human lines, or with --json one JSON line each in the
// Falco-compatible schema the alert file and the webhook use.
#include "alert/alert_sink.h"
#include "core/console.h"

namespace da {

class ConsoleSink final : public AlertSink {
 public:
  explicit ConsoleSink(Console& console, bool json = false) : console_(console), json_(json) {}
  std::string name() const override { return "console"; }
  Status deliver(const Anomaly& anomaly) override;

 private:
  Console& console_;
  bool json_;
};

}  // namespace da
