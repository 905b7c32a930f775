#include "alert/alert_format.h"

#include <atomic>
#include <ctime>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "core/container_meta.h"
#include "core/printable.h"
#include "docker/docker_api.h"

namespace da {

namespace {

// The whole seconds of `time_ns` in UTC, as strftime `format` writes them.
std::string utc_seconds(uint64_t time_ns, const char* format) {
  const time_t seconds = static_cast<time_t>(time_ns / 1'000'000'000ULL);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &utc);
  return buf;
}

// "com.docker.compose.service=web, ..." — where an admin finds the container; empty without.
std::string labels_text(const Anomaly& a) {
  std::string out;
  for (const auto& [name, value] : a.container_labels) out += (out.empty() ? "" : ", ") + name + "=" + value;
  return out;
}

}  // namespace

std::string rfc3339(uint64_t time_ns, int fraction_digits) {
  char fraction[16];
  uint64_t part = time_ns % 1'000'000'000ULL;
  for (int d = fraction_digits; d < 9; ++d) part /= 10;
  std::snprintf(fraction, sizeof fraction, ".%0*lluZ", fraction_digits,
                static_cast<unsigned long long>(part));
  return utc_seconds(time_ns, "%Y-%m-%dT%H:%M:%S") + fraction;
}

nlohmann::ordered_json anomaly_to_json(const Anomaly& a) {
  nlohmann::ordered_json j;
  j["time"] = rfc3339(a.time_ns);
  j["time_ns"] = a.time_ns;
  j["host"] = a.host;
  j["container_id"] = a.container_id;
  j["container_name"] = a.container_name;
  j["image"] = a.image;
  j["image_id"] = a.image_id;
  j["labels"] = a.container_labels;
  j["pid"] = a.process.pid;
  j["tid"] = a.process.tid;
  j["ns_pid"] = a.process.ns_pid;
  j["ppid"] = a.process.ppid;
  j["uid"] = a.process.uid;
  j["comm"] = a.process.comm;
  j["exe"] = a.process.exe;
  j["cmdline"] = a.process.cmdline;
  j["parents"] = a.process.parents;
  j["kind"] = kind_name(a.kind);
  j["source"] = a.indicator.empty() ? "profile" : "indicator";
  if (!a.indicator.empty()) j["indicator"] = a.indicator;
  j["severity"] = severity_name(a.severity);
  j["subject"] = a.subject;
  j["sequence"] = a.sequence;
  j["score"] = a.score;
  j["threshold"] = a.threshold;
  j["explanation"] = a.explanation;
  j["profile_state"] = a.profile_state;
  j["count"] = a.count;
  if (a.test) j["test"] = true;
  return j;
}

namespace {

// An integer field in T's range. nlohmann's get<T>() casts whatever number is there, and a
// float out of T's range (1e300 in a hand-edited outbox) is undefined behaviour.
template <typename T>
T integer_at(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = j.at(key);
  const bool fits = v.is_number_unsigned()
                        ? v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max())
                        : v.is_number_integer() && v.get<int64_t>() >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                              (std::is_unsigned_v<T> || v.get<int64_t>() <= static_cast<int64_t>(std::numeric_limits<T>::max()));
  if (!fits) throw std::out_of_range(std::string("'") + key + "' is not an integer in range");
  return v.is_number_unsigned() ? static_cast<T>(v.get<uint64_t>()) : static_cast<T>(v.get<int64_t>());
}

}  // namespace

Result<Anomaly> anomaly_from_json(const nlohmann::json& j) {
  try {
    Anomaly a;
    a.time_ns = integer_at<uint64_t>(j, "time_ns");
    a.host = j.at("host").get<std::string>();
    a.container_id = j.at("container_id").get<std::string>();
    a.container_name = j.at("container_name").get<std::string>();
    a.image = j.at("image").get<std::string>();
    a.image_id = j.at("image_id").get<std::string>();
    if (auto labels = j.find("labels"); labels != j.end()) {  // absent in outboxes of older agents
      for (const auto& [name, value] : labels->items()) a.container_labels[name] = value.get<std::string>();
    }
    a.process.pid = integer_at<int32_t>(j, "pid");
    a.process.tid = integer_at<int32_t>(j, "tid");
    a.process.ns_pid = integer_at<int32_t>(j, "ns_pid");
    a.process.ppid = integer_at<int32_t>(j, "ppid");
    a.process.uid = integer_at<int32_t>(j, "uid");
    a.process.comm = j.at("comm").get<std::string>();
    a.process.exe = j.at("exe").get<std::string>();
    a.process.cmdline = j.at("cmdline").get<std::vector<std::string>>();
    a.process.parents = j.at("parents").get<std::string>();
    const std::string kind = j.at("kind").get<std::string>();
    bool known = false;
    for (auto k : {AnomalyKind::kSequence, AnomalyKind::kProgram, AnomalyKind::kFile,
                   AnomalyKind::kNetwork, AnomalyKind::kCaptureLoss, AnomalyKind::kIndicator})
      if (kind == kind_name(k)) a.kind = k, known = true;
    if (!known) return Error{"unknown alert kind '" + kind + "'"};
    const std::string severity = j.at("severity").get<std::string>();
    known = false;
    for (auto s : {Severity::kLow, Severity::kMedium, Severity::kHigh})
      if (severity == severity_name(s)) a.severity = s, known = true;
    if (!known) return Error{"unknown severity '" + severity + "'"};
    a.indicator = j.value("indicator", std::string());
    a.subject = j.at("subject").get<std::string>();
    a.sequence = j.at("sequence").get<std::vector<std::string>>();
    a.score = j.at("score").get<double>();
    a.threshold = j.at("threshold").get<double>();
    a.explanation = j.at("explanation").get<std::string>();
    a.profile_state = j.at("profile_state").get<std::string>();
    a.count = j.contains("count") ? integer_at<uint64_t>(j, "count") : 1;
    a.test = j.value("test", false);
    return a;
  } catch (const std::exception& e) {
    return Error{std::string("not an alert: ") + e.what()};
  }
}

namespace {

const char* falco_priority(Severity s) {
  return s == Severity::kHigh ? "Critical" : s == Severity::kMedium ? "Warning" : "Notice";
}

std::string rule_name(const Anomaly& a) {
  if (a.test) return "docker-anomalies test alert";
  switch (a.kind) {
    case AnomalyKind::kSequence: return "Anomalous syscall sequence";
    case AnomalyKind::kProgram: return "Program never seen in this image";
    case AnomalyKind::kFile: return "File never opened by this image";
    case AnomalyKind::kNetwork: return "Network peer never used by this image";
    case AnomalyKind::kCaptureLoss: return "docker-anomalies lost syscall events";
    case AnomalyKind::kIndicator: return "Indicator of attack: " + a.indicator;
  }
  return "Anomaly";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string rfc2822(uint64_t time_ns) { return utc_seconds(time_ns, "%a, %d %b %Y %H:%M:%S +0000"); }

// Header values come from containers (names, paths): no line breaks may reach the header.
std::string header_safe(std::string s) {
  for (char& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s;
}

std::string crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += "\r\n";
    else if (c != '\r') out.push_back(c);
  }
  return out;
}

std::string headers(const std::string& subject, const std::string& from,
                    const std::vector<std::string>& to, uint64_t time_ns) {
  static std::atomic<uint64_t> sequence{0};
  std::string h;
  h += "Date: " + rfc2822(time_ns) + "\r\n";
  h += "From: " + header_safe(from) + "\r\n";
  h += "To: " + header_safe(join(to, ", ")) + "\r\n";
  h += "Subject: " + header_safe(subject) + "\r\n";
  const std::string domain = from.find('@') != std::string::npos ? from.substr(from.find('@') + 1) : "localhost";
  h += "Message-ID: <" + std::to_string(time_ns) + "." + std::to_string(sequence++) + "@" +
       header_safe(domain) + ">\r\n";
  h += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: 8bit\r\nX-Mailer: docker-anomalies\r\n\r\n";
  return h;
}

std::string body(const Anomaly& a) {
  std::string b;
  if (a.test) b += "This is a test alert sent by `docker-anomalies alert-test`. If you read it, email alerts work.\n\n";
  b += "What happened\n  " + a.explanation + "\n";
  if (a.count > 1) b += "  (" + std::to_string(a.count) + " occurrences of the same anomaly in this container)\n";
  b += "\nWhen     " + rfc3339(a.time_ns) + "\n";
  b += "Host     " + a.host + "\n";
  b += "Container " + a.container_name + " (" + a.container_id + ")\n";
  b += "Image    " + a.image + " (" + a.image_id + ")\n";
  if (const std::string where = labels_text(a); !where.empty()) b += "Labels   " + where + "\n";
  b += "\nProcess\n";
  b += "  pid " + std::to_string(a.process.pid) + " (pid " + std::to_string(a.process.ns_pid) +
       " in the container), thread " + std::to_string(a.process.tid) + "\n";
  b += "  comm " + a.process.comm + ", exe " + a.process.exe + "\n";
  b += "  cmdline " + (a.process.cmdline.empty() ? std::string("(not seen)") : join(a.process.cmdline, " ")) + "\n";
  b += "  parents " + (a.process.parents.empty() ? std::string("(not seen)") : a.process.parents) + "\n";
  b += "  user uid " + std::to_string(a.process.uid) + "\n";
  b += "\nWhy it scored\n";
  b += std::string("  kind ") + kind_name(a.kind) + ", severity " + severity_name(a.severity) + "\n";
  b += "  novel: " + a.subject + "\n";
  if (a.kind == AnomalyKind::kSequence) {
    char line[128];
    std::snprintf(line, sizeof line, "  mean surprise %.2f over the window, threshold %.2f\n", a.score, a.threshold);
    b += line;
    b += "  most unusual calls: " + join(a.sequence, " ") + "\n";
  }
  b += "  profile: " + a.profile_state + "\n";
  b += "\nWhat to do\n";
  b += "  Not expected: investigate the process above (docker exec, docker logs, docker inspect).\n";
  b += "  Expected (a deploy, a new job): relearn the image so this becomes normal:\n";
  b += "    docker-anomalies profiles reset " + (a.image.empty() ? a.image_id : a.image) + "\n";
  b += "  Too many alerts: repeats are grouped per container (alerts.noise.window_seconds) and\n"
       "  rate-limited (alerts.noise.rate_per_minute) in the agent's configuration.\n";
  return b;
}

}  // namespace

nlohmann::ordered_json falco_payload(const Anomaly& a) {
  nlohmann::ordered_json fields;
  fields["evt.time"] = a.time_ns;
  fields["container.id"] = a.container_id.substr(0, 12);
  fields["container.name"] = a.container_name;
  fields["container.image.repository"] = image_repository(a.image);
  fields["container.image.tag"] = image_tag(a.image);
  fields["container.image.id"] = a.image_id;
  // Falco's names for the labels, and its Kubernetes fields where the labels say.
  for (const auto& [name, value] : a.container_labels) fields["container.label." + name] = value;
  if (auto it = a.container_labels.find("io.kubernetes.pod.name"); it != a.container_labels.end())
    fields["k8s.pod.name"] = it->second;
  if (auto it = a.container_labels.find("io.kubernetes.pod.namespace"); it != a.container_labels.end())
    fields["k8s.ns.name"] = it->second;
  fields["proc.pid"] = a.process.pid;
  fields["proc.vpid"] = a.process.ns_pid;
  fields["proc.ppid"] = a.process.ppid;
  fields["proc.name"] = a.process.comm;
  fields["proc.exepath"] = a.process.exe;
  fields["proc.cmdline"] = join(a.process.cmdline, " ");
  fields["user.uid"] = a.process.uid;
  if (a.kind == AnomalyKind::kFile) fields["fd.name"] = a.subject;
  // Then every field of our own (docs/alerts.md), as one schema for the file, --json and the
  // webhook: tools that know Falco read the names above, ours read these.
  const nlohmann::ordered_json ours = anomaly_to_json(a);  // named: items() refers into it
  for (const auto& [key, value] : ours.items()) fields[key] = value;
  nlohmann::ordered_json j;
  const std::string time = rfc3339(a.time_ns, 9);  // nanoseconds, as Falco writes it
  j["time"] = time;
  j["rule"] = rule_name(a);
  j["priority"] = falco_priority(a.severity);
  j["output"] = time + ": " + falco_priority(a.severity) + " " + a.explanation + " (container=" +
                a.container_name + " image=" + a.image + " proc=" + a.process.comm +
                " pid=" + std::to_string(a.process.pid) + ")";
  j["output_fields"] = fields;
  j["hostname"] = a.host;
  j["tags"] = {"docker-anomalies", kind_name(a.kind), severity_name(a.severity)};
  j["source"] = "docker-anomalies";
  return j;
}

std::string email_message(const Anomaly& a, const std::string& from,
                          const std::vector<std::string>& to) {
  std::string subject = alert_title(a);
  if (a.count > 1) subject += " (x" + std::to_string(a.count) + ")";
  if (a.test) subject = "[docker-anomalies] test alert from " + a.host;
  return headers(subject, from, to, a.time_ns) + crlf(body(a));
}

std::string digest_message(const std::vector<Anomaly>& alerts, const std::string& from,
                           const std::vector<std::string>& to) {
  const uint64_t now = alerts.empty() ? 0 : alerts.back().time_ns;
  const std::string host = alerts.empty() ? "" : alerts.front().host;
  std::string b = std::to_string(alerts.size()) + " alerts since the last digest:\n\n";
  for (const auto& a : alerts)
    b += "- " + rfc3339(a.time_ns) + " [" + severity_name(a.severity) + "] " +
         a.container_name + " (" + a.image + "): " + a.explanation +
         (a.count > 1 ? " (x" + std::to_string(a.count) + ")" : "") + "\n";
  b += "\nEach alert's full context is in the agent's JSON/console output.\n";
  return headers("[docker-anomalies] digest: " + std::to_string(alerts.size()) + " alerts on " + host,
                 from, to, now) + crlf(b);
}

std::string alert_title(const Anomaly& a) {
  if (a.kind == AnomalyKind::kCaptureLoss)
    return std::string("[docker-anomalies] ") + severity_name(a.severity) + ": capture lost events on " + a.host;
  return std::string("[docker-anomalies] ") + severity_name(a.severity) + " anomaly in " +
         (a.container_name.empty() ? short_id(a.container_id) : a.container_name) + " (" +
         a.image + ") on " + a.host;
}

std::string alert_text(const Anomaly& a) {
  // Every field a container could have chosen goes through printable(): a newline in a file
  // name must not start a forged line of its own.
  if (a.kind == AnomalyKind::kCaptureLoss)
    return std::string("ALERT ") + severity_name(a.severity) + " capture-loss at " + rfc3339(a.time_ns) +
           " on " + printable(a.host) + "\n  why:       " + printable(a.explanation);
  std::string cmdline;
  for (const auto& arg : a.process.cmdline) cmdline += (cmdline.empty() ? "" : " ") + printable(arg);
  const std::string what = a.kind == AnomalyKind::kIndicator ? "indicator " + printable(a.indicator)
                                                              : std::string(kind_name(a.kind)) + " anomaly";
  std::string text = std::string("ALERT ") + severity_name(a.severity) + " " + what + " at " +
                     rfc3339(a.time_ns) + " on " + printable(a.host) + "\n";
  text += "  container: " + printable(a.container_name) + " (" + short_id(a.container_id) + "), image " +
          printable(a.image) + " (" + printable(a.image_id.substr(0, 19)) + ")\n";
  if (const std::string where = labels_text(a); !where.empty()) text += "  labels:    " + printable(where) + "\n";
  text += "  process:   " + printable(a.process.comm) + " pid " + std::to_string(a.process.pid) +
          " (in container " + std::to_string(a.process.ns_pid) + "), exe " + printable(a.process.exe) +
          ", uid " + std::to_string(a.process.uid) + "\n";
  if (!cmdline.empty()) text += "  cmdline:   " + cmdline + "\n";
  if (!a.process.parents.empty()) text += "  parents:   " + printable(a.process.parents) + "\n";
  text += "  why:       " + printable(a.explanation) + "\n";
  text += "  source:    " + std::string(a.indicator.empty() ? "the learned profile" : "an indicator (no profile needed)") + "\n";
  text += "  profile:   " + printable(a.profile_state);
  return text;
}

}  // namespace da
