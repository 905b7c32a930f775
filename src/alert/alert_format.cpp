#include "alert/alert_format.h"

#include <ctime>

#include "docker/docker_api.h"

namespace da {

std::string rfc3339(uint64_t time_ns) {
  const time_t seconds = static_cast<time_t>(time_ns / 1'000'000'000ULL);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof buf - n, ".%03uZ",
                static_cast<unsigned>(time_ns % 1'000'000'000ULL / 1'000'000ULL));
  return buf;
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
  j["severity"] = severity_name(a.severity);
  j["subject"] = a.subject;
  j["sequence"] = a.sequence;
  j["score"] = a.score;
  j["threshold"] = a.threshold;
  j["explanation"] = a.explanation;
  j["profile_state"] = a.profile_state;
  return j;
}

std::string alert_title(const Anomaly& a) {
  return std::string("[docker-anomalies] ") + severity_name(a.severity) + " anomaly in " +
         (a.container_name.empty() ? short_id(a.container_id) : a.container_name) + " (" +
         a.image + ") on " + a.host;
}

std::string alert_text(const Anomaly& a) {
  std::string cmdline;
  for (const auto& arg : a.process.cmdline) cmdline += (cmdline.empty() ? "" : " ") + arg;
  std::string text = std::string("ALERT ") + severity_name(a.severity) + " " + kind_name(a.kind) +
                     " anomaly at " + rfc3339(a.time_ns) + " on " + a.host + "\n";
  text += "  container: " + a.container_name + " (" + short_id(a.container_id) + "), image " +
          a.image + " (" + a.image_id.substr(0, 19) + ")\n";
  text += "  process:   " + a.process.comm + " pid " + std::to_string(a.process.pid) +
          " (in container " + std::to_string(a.process.ns_pid) + "), exe " + a.process.exe +
          ", uid " + std::to_string(a.process.uid) + "\n";
  if (!cmdline.empty()) text += "  cmdline:   " + cmdline + "\n";
  if (!a.process.parents.empty()) text += "  parents:   " + a.process.parents + "\n";
  text += "  why:       " + a.explanation + "\n";
  text += "  profile:   " + a.profile_state;
  return text;
}

}  // namespace da
