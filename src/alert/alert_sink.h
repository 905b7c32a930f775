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
  // Called about once a second and at the end: a sink that batches (email digest) sends what
  // is due.
  virtual Status flush() { return ok_status(); }
  // The agent is stopping: send whatever is batched, due or not.
  virtual Status drain() { return flush(); }
  // Alerts for this sink are kept on disk until delivered (network sinks).
  virtual bool durable() const { return false; }
  // SIGUSR1 (logrotate): a sink that writes a file opens it again by name before its next
  // write. Called from another thread than deliver(): only ask, never act, here.
  virtual void reopen() {}
};

}  // namespace da
