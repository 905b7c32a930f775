#include "detect/anomaly.h"

namespace da {

const char* kind_name(AnomalyKind kind) {
  switch (kind) {
    case AnomalyKind::kSequence: return "sequence";
    case AnomalyKind::kProgram: return "program";
    case AnomalyKind::kFile: return "file";
    case AnomalyKind::kNetwork: return "network";
    case AnomalyKind::kCaptureLoss: return "capture-loss";
    case AnomalyKind::kIndicator: return "indicator";
  }
  return "unknown";
}

const char* severity_name(Severity severity) {
  switch (severity) {
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
  }
  return "unknown";
}

Anomaly capture_loss_anomaly(const std::string& host, const std::string& agent, uint64_t count,
                             uint64_t time_ns) {
  Anomaly a;
  a.time_ns = time_ns;
  a.host = host;
  a.kind = AnomalyKind::kCaptureLoss;
  a.severity = Severity::kHigh;
  a.subject = "capture";
  a.count = count;
  a.explanation = "the agent missed events: " + std::to_string(count) +
                  " syscalls were not captured or shipped by agent " + agent + " on " + host +
                  " (kernel ring buffer or queue full); activity in that time was not checked";
  a.profile_state = "-";
  return a;
}

}  // namespace da
