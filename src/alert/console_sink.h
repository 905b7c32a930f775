#pragma once
// Alerts as a few human lines on the console (stdout).
#include "alert/alert_sink.h"
#include "core/console.h"

namespace da {

class ConsoleSink final : public AlertSink {
 public:
  explicit ConsoleSink(Console& console) : console_(console) {}
  std::string name() const override { return "console"; }
  Status deliver(const Anomaly& anomaly) override;

 private:
  Console& console_;
};

}  // namespace da
