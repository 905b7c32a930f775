#include "alert/sink_factory.h"

#include "alert/email_sink.h"
#include "alert/fleet_alert_sink.h"
#include "alert/json_lines_sink.h"
#include "alert/syslog_sink.h"
#include "alert/webhook_sink.h"

namespace da {

Result<std::vector<std::unique_ptr<AlertSink>>> make_alert_sinks(const AlertSettings& s) {
  std::vector<std::unique_ptr<AlertSink>> sinks;
  if (!s.json_file.empty()) {
    auto sink = JsonLinesSink::open(s.json_file);
    if (!sink) return sink.error();
    sinks.push_back(std::move(*sink));
  }
  const bool email_wanted = !s.email.smtp_url.empty() || !s.email.to.empty();
  if (email_wanted) {
    if (s.email.smtp_url.empty()) return Error{"--email-to needs --smtp-url"};
    auto sink = EmailSink::create(s.email);
    if (!sink) return sink.error();
    sinks.push_back(std::move(*sink));
  }
  if (!s.webhook.url.empty()) {
    auto sink = WebhookSink::create(s.webhook);
    if (!sink) return sink.error();
    sinks.push_back(std::move(*sink));
  }
  if (!s.syslog.target.empty()) {
    auto sink = SyslogSink::create(s.syslog);
    if (!sink) return sink.error();
    sinks.push_back(std::move(*sink));
  }
  if (!s.fleet.redis_url.empty()) {
    auto sink = FleetAlertSink::create(s.fleet);
    if (!sink) return sink.error();
    sinks.push_back(std::move(*sink));
  }
  return sinks;
}

}  // namespace da
