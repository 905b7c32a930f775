#pragma once
// Builds the configured alert sinks (JSON lines, email, webhook, syslog); the message of an
// error says which setting is wrong.
#include <memory>
#include <vector>

#include "alert/alert_settings.h"
#include "alert/alert_sink.h"

namespace da {

Result<std::vector<std::unique_ptr<AlertSink>>> make_alert_sinks(const AlertSettings& settings);

}  // namespace da
