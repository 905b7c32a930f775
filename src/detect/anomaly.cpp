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

}  // namespace da
