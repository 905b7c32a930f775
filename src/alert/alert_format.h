#pragma once
// The words and fields of an alert, shared by every sink so they all say the same thing.
#include <nlohmann/json.hpp>
#include <string>

#include "detect/anomaly.h"

namespace da {

// One flat JSON object: time, host, container_id, container_name, image, image_id, pid, tid,
// ns_pid, ppid, uid, comm, exe, cmdline, parents, kind, severity, subject, sequence, score,
// threshold, explanation, profile_state (docs/alerts.md).
nlohmann::ordered_json anomaly_to_json(const Anomaly& a);
// "2026-11-22T23:41:07.123Z"
std::string rfc3339(uint64_t time_ns);
// "[docker-anomalies] high anomaly in web (busybox:latest) on host1"
std::string alert_title(const Anomaly& a);
// A few lines a human reads: what, where, which process, why.
std::string alert_text(const Anomaly& a);

}  // namespace da
