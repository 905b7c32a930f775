#include "alert/console_sink.h"

#include "alert/alert_format.h"
#include "core/json_text.h"

namespace da {

Status ConsoleSink::deliver(const Anomaly& anomaly) {
  console_.line(json_ ? json_text(falco_payload(anomaly)) : alert_text(anomaly));
  return ok_status();
}

}  // namespace da
