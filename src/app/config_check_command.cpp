// `config check`: validates what `run` (or `agent`/`detect`, same keys) would use, without root
// and without monitoring anything — the configuration, Redis, the alert outputs, the state dir,
// Docker, eBPF and ptrace — and says what it could not check and why. One line per check:
//   ok           docker: reachable at unix:///var/run/docker.sock
//   problem      state_dir: /var/lib/docker-anomalies is not writable: Permission denied
//   not checked  ebpf: loading BPF programs needs root (this kernel has BTF)
// Exit 0 when the configuration is valid — problems of the host (Docker down, a state dir not
// writable yet) are printed but do not fail it, so the same file checks on a build machine —
// and 2 naming the offending key and why when it is not.
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "alert/sink_factory.h"
#include "app/commands.h"
#include "app/metrics_server.h"
#include "capture/backend_factory.h"
#include "core/console.h"
#include "docker/docker_client.h"
#include "transport/redis_stream.h"
#include "transport/redis_url.h"

namespace da {
namespace {

enum class Outcome { kOk, kProblem, kInvalid, kNotChecked };

class Report {
 public:
  explicit Report(Console& console) : console_(console) {}
  void add(Outcome outcome, const std::string& what, const std::string& detail) {
    static const char* const words[] = {"ok          ", "problem     ", "invalid     ", "not checked "};
    console_.line(words[static_cast<int>(outcome)] + what + ": " + detail);
    if (outcome == Outcome::kInvalid) invalid_ = true;
  }
  int exit_code() const { return invalid_ ? 2 : 0; }

 private:
  Console& console_;
  bool invalid_ = false;
};

std::string read_first_line(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

// A directory the agent must write to: there and writable, or creatable.
void check_writable_dir(Report& report, const std::string& what, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path existing = dir;
  while (!existing.empty() && !fs::exists(existing, ec)) existing = existing.parent_path();
  if (existing.empty()) existing = ".";
  const bool writable = access(existing.c_str(), W_OK | X_OK) == 0;
  const std::string how = existing == dir ? dir.string() : dir.string() + " (to be created under " + existing.string() + ")";
  if (writable)
    report.add(Outcome::kOk, what, how + " is writable");
  else if (geteuid() != 0)
    report.add(Outcome::kNotChecked, what, how + " is not writable by this user; the agent runs as root");
  else
    report.add(Outcome::kProblem, what, how + " is not writable: " + std::strerror(errno));
}

void check_redis(Report& report, const CaptureOptions& o) {
  if (o.redis_url.empty()) {
    report.add(Outcome::kOk, "transport", "in-process queue (no redis.url set)");
    return;
  }
  auto url = redis_url_with_credentials(o.redis_url, o.redis_credentials);
  if (!url) return report.add(Outcome::kInvalid, "redis.url", url.error().message);
  if (auto c = connect_redis(*url); !c)
    report.add(Outcome::kProblem, "redis", c.error().message);
  else
    report.add(Outcome::kOk, "redis", "reachable, authenticated (stream " + o.stream + ")");
}

void check_alerts(Report& report, const AlertSettings& settings) {
  // The JSON file is judged by its directory: a check creates no file.
  AlertSettings without_file = settings;
  without_file.json_file.clear();
  auto sinks = make_alert_sinks(without_file);
  if (!sinks) return report.add(Outcome::kInvalid, "alerts", sinks.error().message);

  if (!settings.json_file.empty())
    check_writable_dir(report, "alerts.json_file", std::filesystem::path(settings.json_file).parent_path());
  for (const auto& sink : *sinks)
    report.add(Outcome::kNotChecked, "alerts." + sink->name(),
               "configured; delivery is not tried here (`docker-anomalies alert-test` sends a test alert)");
  if (sinks->empty() && settings.json_file.empty())
    report.add(Outcome::kOk, "alerts", "console only (no email, webhook, syslog or JSON file configured)");
}

void check_docker(Report& report, const CaptureOptions& o) {
  const char* env_host = std::getenv("DOCKER_HOST");
  auto endpoint = parse_docker_host(!o.docker_host.empty() ? o.docker_host : env_host ? env_host : "");
  if (!endpoint) return report.add(Outcome::kInvalid, "docker_host", endpoint.error().message);
  DockerClient docker(*endpoint);
  if (auto s = docker.ping(); !s)
    report.add(Outcome::kProblem, "docker", s.error().message);
  else
    report.add(Outcome::kOk, "docker", "reachable at " + endpoint->display);
}

class QuietObserver final : public CaptureObserver {
 public:
  void process_started(const std::string&, pid_t) override {}
  void process_finished(const std::string&, pid_t) override {}
  void warning(const std::string&) override {}
};

void check_capture(Report& report, const CaptureOptions& o) {
  auto kind = parse_backend_kind(o.backend);
  if (!kind) return report.add(Outcome::kInvalid, "backend", "'" + o.backend + "' is not auto, ebpf or ptrace");
  if (!o.metrics_address.empty()) {
    if (auto address = metrics_listen_address(o.metrics_address); !address)
      report.add(Outcome::kInvalid, "metrics.address", address.error().message);
    else
      report.add(Outcome::kOk, "metrics.address", "/metrics and /healthz on http://" + *address);
  }
  const bool btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
  const std::string lockdown = read_first_line("/sys/kernel/security/lockdown");
  if (*kind != BackendKind::kPtrace) {
    const std::string facts = std::string("kernel BTF ") + (btf ? "present" : "absent") +
                              (lockdown.empty() ? "" : ", lockdown " + lockdown);
    if (geteuid() != 0) {
      report.add(Outcome::kNotChecked, "ebpf", "loading BPF programs needs root (" + facts + ")");
    } else {
      // The real thing: load and attach the program, then detach at once.
      EventChannel scratch;
      QuietObserver quiet;
      auto started = start_capture_backend(BackendKind::kEbpf, scratch, quiet);
      if (started) {
        started->backend->stop();
        report.add(Outcome::kOk, "ebpf", "the capture program loads and attaches (" + facts + ")");
      } else {
        report.add(*kind == BackendKind::kEbpf ? Outcome::kProblem : Outcome::kNotChecked, "ebpf",
                   started.error().message + (*kind == BackendKind::kAuto ? "; `auto` falls back to ptrace" : ""));
      }
    }
  }
  if (*kind != BackendKind::kEbpf) {
    const std::string scope = read_first_line("/proc/sys/kernel/yama/ptrace_scope");
    if (scope == "3")
      report.add(Outcome::kProblem, "ptrace", "kernel.yama.ptrace_scope is 3: no process may be traced");
    else if (geteuid() != 0)
      report.add(Outcome::kNotChecked, "ptrace", "tracing container processes needs root");
    else
      report.add(Outcome::kOk, "ptrace", "available (yama ptrace_scope " + (scope.empty() ? "absent" : scope) + ")");
  }
}

}  // namespace

int config_check_command(const CaptureOptions& options) {
  Console console;
  Report report(console);
  report.add(Outcome::kOk, "configuration", "read (--config, -o and flags)");
  check_capture(report, options);
  check_docker(report, options);
  check_redis(report, options);
  check_writable_dir(report, "state_dir", options.detection.state_dir);
  check_alerts(report, options.detection.alerts);
  return report.exit_code();
}

}  // namespace da
