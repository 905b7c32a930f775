#pragma once
// Alerts as RFC 5424 syslog messages over a unix datagram socket (unix:///dev/log, the local
// syslog daemon) or UDP (udp://host:port, a remote collector).
#include <memory>

#include "alert/alert_settings.h"
#include "alert/alert_sink.h"

namespace da {

// "<PRI>1 TIMESTAMP HOST docker-anomalies PID ALERT - MESSAGE": the message is the title, the
// explanation and key=value context.
std::string syslog_message(const Anomaly& a, int facility, int pid);

class SyslogSink final : public AlertSink {
 public:
  static Result<std::unique_ptr<SyslogSink>> create(const SyslogSettings& settings);
  ~SyslogSink() override;
  std::string name() const override { return "syslog:" + target_; }
  Status deliver(const Anomaly& anomaly) override;

 private:
  SyslogSink(std::string target, int facility, int fd) : target_(std::move(target)), facility_(facility), fd_(fd) {}
  std::string target_;
  int facility_;
  int fd_;  // connected datagram socket
};

}  // namespace da
