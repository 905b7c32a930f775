#include "alert/console_sink.h"

#include "alert/alert_format.h"

namespace da {

Status ConsoleSink::deliver(const Anomaly& anomaly) {
  console_.line(alert_text(anomaly));
  return ok_status();
}

}  // namespace da
