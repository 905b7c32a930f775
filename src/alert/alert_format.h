#pragma once
// The words and fields of an alert, shared by every sink so they all say the same thing.
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"
#include "detect/anomaly.h"

namespace da {

// One flat JSON object: time, host, container_id, container_name, image, image_id, pid, tid,
// ns_pid, ppid, uid, comm, exe, cmdline, parents, kind, severity, subject, sequence, score,
// threshold, explanation, profile_state (docs/alerts.md).
nlohmann::ordered_json anomaly_to_json(const Anomaly& a);
// The inverse, for the on-disk outbox; rejects what is not an alert.
Result<Anomaly> anomaly_from_json(const nlohmann::json& j);
// Falcosidekick's input: time, rule, priority, output, output_fields, hostname, tags, source.
nlohmann::ordered_json falco_payload(const Anomaly& a);
// The email: headers (Date, From, To, Subject, Message-ID, MIME) and a plain-text body, CRLF.
std::string email_message(const Anomaly& a, const std::string& from,
                          const std::vector<std::string>& to);
std::string digest_message(const std::vector<Anomaly>& alerts, const std::string& from,
                           const std::vector<std::string>& to);
// "2026-11-22T23:41:07.123Z" (fraction_digits 3; 9 gives nanoseconds)
std::string rfc3339(uint64_t time_ns, int fraction_digits = 3);
// "[docker-anomalies] high anomaly in web (busybox:latest) on host1"
std::string alert_title(const Anomaly& a);
// A few lines a human reads: what, where, which process, why.
std::string alert_text(const Anomaly& a);

}  // namespace da
