#pragma once
// Every alert output (console, JSON lines, email, webhook, syslog) behind one interface; each
// sink is one file. Sinks are called from their own worker thread (AlertDispatcher), so a slow
// or failing one never holds up detection or the others.
#include <string>

#include "core/result.h"
#include "detect/anomaly.h"

namespace da {

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual std::string name() const = 0;
  // Delivers one alert; an error is retried by the dispatcher.
  virtual Status deliver(const Anomaly& anomaly) = 0;
};

}  // namespace da
