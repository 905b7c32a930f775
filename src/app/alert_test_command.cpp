// `alert-test`: one test alert through every configured sink, delivered synchronously, so an
// admin can check the setup (SMTP reachable, credentials right, webhook answering) before an
// incident does. Exits non-zero, with the reason, if any sink failed.
#include "alert/alert_format.h"
#include "alert/sink_factory.h"
#include "app/commands.h"
#include "core/console.h"
#include "core/host_name.h"
#include "core/clock.h"

namespace da {

int alert_test_command(const AlertTestOptions& options) {
  Console console;
  auto sinks = make_alert_sinks(options.alerts);
  if (!sinks) {
    console.error(sinks.error().message);
    return 2;
  }
  if (sinks->empty()) {
    console.error("no alert sink is configured (--smtp-url/--email-to/--email-from, "
                  "--alert-json, --webhook-url, --syslog, or --config FILE)");
    return 2;
  }
  Anomaly a;
  a.test = true;
  a.time_ns = unix_nanoseconds();
  a.host = host_name();
  a.container_id = std::string(64, '0');
  a.container_name = "alert-test";
  a.image = "docker-anomalies/alert-test:latest";
  a.image_id = "sha256:" + std::string(64, '0');
  a.process.pid = a.process.tid = static_cast<int32_t>(getpid());
  a.process.comm = "docker-anomalies";
  a.process.exe = "/proc/self/exe";
  a.process.cmdline = {"docker-anomalies", "alert-test"};
  a.process.uid = static_cast<int32_t>(getuid());
  a.kind = AnomalyKind::kProgram;
  a.severity = Severity::kLow;
  a.subject = "alert-test";
  a.explanation = "test alert from docker-anomalies alert-test on " + a.host +
                  ": if you read this, this alert output works";
  a.profile_state = "test";

  int failed = 0;
  for (auto& sink : *sinks) {
    Status s = sink->deliver(a);
    if (s) s = sink->drain();
    if (s) {
      console.line("ok      " + sink->name());
    } else {
      ++failed;
      console.line("FAILED  " + sink->name() + ": " + s.error().message);
    }
  }
  if (failed) {
    console.error(std::to_string(failed) + " of " + std::to_string(sinks->size()) +
                  " alert outputs failed");
    return 1;
  }
  console.line("test alert delivered to " + std::to_string(sinks->size()) + " outputs");
  return 0;
}

}  // namespace da
