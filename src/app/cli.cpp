#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.h"
#include "app/config_file.h"
#include "app/signals.h"
#include "core/console.h"
#include "core/host_name.h"

namespace da {
namespace {

void add_capture_options(CLI::App* cmd, CaptureOptions& o, bool with_docker) {
  if (with_docker)
    cmd->add_option("--backend", o.backend,
                    "capture backend: auto (ebpf where the kernel supports it, else ptrace), ebpf, ptrace")
        ->check(CLI::IsMember({"auto", "ebpf", "ptrace"}))
        ->default_val("auto");
  else
    cmd->add_option("--backend", o.backend, "capture backend (a host command is traced with ptrace)")
        ->check(CLI::IsMember({"ptrace"}))
        ->default_val("ptrace");
  if (with_docker)
    cmd->add_option("--docker-host", o.docker_host,
                    "Docker API endpoint (unix:///path or tcp://host:port); default $DOCKER_HOST "
                    "or unix:///var/run/docker.sock");
  cmd->add_option("--redis", o.redis_url, "send event batches to a Redis stream: redis://host:port[/db]");
  cmd->add_option("--redis-credentials", o.redis_credentials, "file holding the Redis password (one line, user:password or the password alone; else $DA_REDIS_USERNAME/$DA_REDIS_PASSWORD)");
  cmd->add_option("--stream", o.stream, "Redis stream name")->default_val(o.stream);
  cmd->add_option("--stream-maxlen", o.stream_max_length,
                  "approximate number of batches the Redis stream keeps")
      ->default_val(o.stream_max_length)
      ->check(CLI::PositiveNumber);
  cmd->add_option("--shards", o.shards,
                  "split the Redis stream into this many shards by image (as the detectors' --shards)")
      ->default_val(o.shards)
      ->check(CLI::Range(1, 1024));
  if (with_docker)
    cmd->add_option("--metrics", o.metrics_address,
                    "serve Prometheus /metrics and /healthz on PORT (127.0.0.1) or HOST:PORT; off by default");
  cmd->add_option("--batch-size", o.batch_size, "events per batch")
      ->default_val(o.batch_size)
      ->check(CLI::Range(1, 65536));
}

void add_alert_options(CLI::App* cmd, AlertSettings& a) {
  cmd->add_option("--alert-json", a.json_file, "append each alert to FILE as one JSON line (Falco-compatible)");
  cmd->add_flag("--json", a.console_json, "alerts on stdout as JSON lines (the schema of --alert-json) instead of text");
  cmd->add_option("--smtp-url", a.email.smtp_url,
                  "email alerts through smtp://host:port (STARTTLS if offered) or smtps://host:port");
  cmd->add_option("--email-from", a.email.from, "sender address of alert emails");
  cmd->add_option("--email-to", a.email.to, "recipient of alert emails (repeatable)");
  cmd->add_option("--smtp-credentials", a.email.credentials_file,
                  "file with one line username:password (else $DA_SMTP_USERNAME/$DA_SMTP_PASSWORD)");
  cmd->add_flag("--smtp-require-tls", a.email.require_tls, "smtp://: send only over STARTTLS");
  cmd->add_option("--smtp-ca-file", a.email.ca_file, "trust this CA (PEM) for the SMTP server");
  cmd->add_flag("--smtp-insecure", a.email.insecure, "do not verify the SMTP server's certificate");
  cmd->add_option("--email-digest-minutes", a.email.digest_minutes,
                  "send medium/low alerts as one digest email per period (high: at once)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--webhook-url", a.webhook.url,
                  "POST each alert as falcosidekick-compatible JSON to this http(s) URL");
  cmd->add_option("--webhook-header", a.webhook.headers,
                  "extra HTTP header 'Name: value' (repeatable; nothing secret: tokens go in --webhook-headers-file)");
  cmd->add_option("--webhook-headers-file", a.webhook.headers_file,
                  "file of extra HTTP headers, one 'Name: value' per line (Authorization, tokens)");
  cmd->add_option("--webhook-ca-file", a.webhook.ca_file, "trust this CA (PEM) for the webhook");
  cmd->add_option("--syslog", a.syslog.target, "send alerts to syslog: unix:///dev/log or udp://host:port");
  cmd->add_option("--syslog-facility", a.syslog.facility, "syslog facility")->default_val(a.syslog.facility);
  cmd->add_option("--alert-window-seconds", a.noise.window_seconds,
                  "the same anomaly in the same container within this window is one alert with a count")
      ->default_val(a.noise.window_seconds)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--alert-rate-per-minute", a.noise.rate_per_minute,
                  "alerts per container per minute (0: no limit); high severity is never limited")
      ->default_val(a.noise.rate_per_minute)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--outbox-limit", a.outbox_limit,
                  "alerts kept on disk per output while it cannot deliver")
      ->default_val(a.outbox_limit)
      ->check(CLI::PositiveNumber);
}

void add_log_level_option(CLI::App* cmd, std::string& log_level) {
  cmd->add_option("--log-level", log_level,
                  "lowest level of the log on stderr: debug (also each process), info, warning, error")
      ->check(CLI::IsMember({"debug", "info", "warning", "warn", "error"}));
}

void add_config_options(CLI::App* cmd, std::string& log_level) {
  // --config and -o are read before parsing (main_entry): here only so that CLI11 accepts them.
  cmd->add_option("--config", "YAML configuration file (see docker-anomalies.example.yaml)");
  static std::vector<std::string> ignored;
  cmd->add_option("-o,--option", ignored,
                  "set any configuration key: -o key.path=value (e.g. -o alerts.noise.rate_per_minute=5); "
                  "repeatable; flags win over -o, -o over --config");
  add_log_level_option(cmd, log_level);
}

// The first word that is not an option, if it names no command ("frobnicate").
std::string unknown_command(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return {};
  for (const auto* sub : app.get_subcommands({}))
    if (sub->get_name() == argv[1]) return {};
  return argv[1];
}

void add_learning_options(CLI::App* cmd, LearningSettings& l) {
  cmd->add_option("--learn-min-seconds", l.min_seconds,
                  "a profile learns at least this long before it detects")
      ->default_val(l.min_seconds)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--learn-novelty", l.novelty,
                  "...and until, for every active program, at most this share of recent calls, files "
                  "and peers was new (the estimated probability that the next one is new)")
      ->default_val(l.novelty)
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--learn-max-seconds", l.max_seconds,
                  "stable after this long even if not converged (the profile says so)")
      ->default_val(l.max_seconds)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--learn-idle-seconds", l.idle_seconds,
                  "a program that made no call for this long no longer holds learning back")
      ->default_val(l.idle_seconds)
      ->check(CLI::PositiveNumber);
}

void add_state_dir_option(CLI::App* cmd, std::string& state_dir) {
  cmd->add_option("--state-dir", state_dir, "where profiles and the alert outbox are kept (detect: profiles live in Redis with their shard)")->default_val(state_dir);
}

void add_detection_options(CLI::App* cmd, DetectionOptions& o) {
  add_state_dir_option(cmd, o.state_dir);
  add_learning_options(cmd, o.learning);
  cmd->add_option("--progress-seconds", o.progress_interval_seconds,
                  "how often learning progress is printed")
      ->default_val(o.progress_interval_seconds)
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--seed-from-previous-tag", o.seed_from_previous_tag,
                "a new tag of an image starts from the profile of its newest other tag");
  add_alert_options(cmd, o.alerts);
  cmd->add_option("--min-threshold", o.min_threshold,
                  "lowest alarm threshold: mean surprise (nats) per call over the window")
      ->default_val(o.min_threshold)
      ->check(CLI::PositiveNumber);
  cmd->add_option("--window", o.window, "locality window: calls whose mean surprise is judged")
      ->default_val(o.window)
      ->check(CLI::Range(1, 1024));
}

}  // namespace

// Parses the command line (with --config and -o) and runs the command; with `reread` set, only
// parses and hands back what SIGHUP may change (the command line is read again on reload, so the
// file, -o and flags combine exactly as at start). Returns -1 after a successful reread.
static int parse_and_run(int argc, char** argv, Reloadable* reread) {
  CLI::App app{"docker-anomalies: detects intrusions in Docker containers from their system calls"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "docker-anomalies 0.1.0");

  CaptureOptions run_opts;
  auto* run = app.add_subcommand("run", "monitor every container: capture and detect (root)");
  add_capture_options(run, run_opts, true);
  run->add_flag("--print-syscalls", run_opts.print_syscalls, "print each event as a JSON line");
  run->add_option("--judge-in-kernel", run_opts.judge_in_kernel,
                  "eBPF: judge stable programs' known syscall sequences in the kernel, sending on only "
                  "what the detector needs (same alerts, far less work); off sends every call")
      ->default_val(true);
  run->add_option("--fleet", run_opts.fleet_url,
                  "edge mode: share learning with the hosts running the same images, and send alerts to "
                  "one dispatcher, through this Redis (redis://host:port; see `fleet`)");
  run->add_option("--fleet-node", run_opts.fleet_node, "this host's name in the fleet (default: the host name)");
  run->add_option("--fleet-sync-seconds", run_opts.fleet_sync_seconds,
                  "how often learning goes to the fleet and a stable fleet profile is looked for")
      ->default_val(run_opts.fleet_sync_seconds)
      ->check(CLI::Range(1, 3600));
  add_detection_options(run, run_opts.detection);

  DetectOptions detect_opts;
  auto* detect = app.add_subcommand(
      "detect", "detect only, from the Redis stream agents feed (run several: they share its shards)");
  detect->add_option("--redis", detect_opts.redis_url, "redis://host:port[/db] (required: here, `redis:` in --config or -o redis=URL)");
  detect->add_option("--redis-credentials", detect_opts.redis_credentials, "file holding the Redis password (one line, user:password or the password alone; else $DA_REDIS_USERNAME/$DA_REDIS_PASSWORD)");
  detect->add_option("--stream", detect_opts.stream, "Redis stream name")
      ->default_val(detect_opts.stream);
  detect->add_option("--group", detect_opts.group, "consumer group the detectors share")
      ->default_val(detect_opts.group);
  detect->add_option("--consumer", detect_opts.consumer, "this detector's name (default host:pid)");
  detect->add_option("--shards", detect_opts.shards,
                     "shards of the stream, as the agents' --shards; each is held by one detector, "
                     "so all events of an image reach the same one")
      ->default_val(detect_opts.shards)
      ->check(CLI::Range(1, 1024));
  detect->add_option("--lease-ms", detect_opts.lease_ms,
                     "a detector that stops renewing its shards' leases loses them after this long")
      ->default_val(detect_opts.lease_ms)
      ->check(CLI::Range(500, 600000));
  detect->add_option("--metrics", detect_opts.metrics_address,
                     "serve Prometheus /metrics and /healthz on PORT (127.0.0.1) or HOST:PORT; off by default");
  add_detection_options(detect, detect_opts.detection);

  FleetOptions fleet_opts;
  auto* fleet = app.add_subcommand(
      "fleet", "edge mode's centre: one stable profile per image from every host's learning, and "
               "the hosts' alerts sent once per incident");
  fleet->add_option("--redis", fleet_opts.redis_url, "the Redis the hosts' --fleet names (required)");
  fleet->add_option("--redis-credentials", fleet_opts.redis_credentials, "file holding the Redis password (one line, user:password or the password alone; else $DA_REDIS_USERNAME/$DA_REDIS_PASSWORD)");
  fleet->add_option("--merge-seconds", fleet_opts.merge_seconds, "how often the hosts' learning is merged")
      ->default_val(fleet_opts.merge_seconds)
      ->check(CLI::Range(1, 3600));
  fleet->add_option("--consumer", fleet_opts.consumer, "this dispatcher's name (default host:pid)");
  add_detection_options(fleet, fleet_opts.detection);

  ProfilesOptions profiles_opts;
  auto* profiles = app.add_subcommand("profiles", "list, show, export, import or reset learned profiles");
  profiles->require_subcommand(1);
  add_state_dir_option(profiles, profiles_opts.state_dir);
  add_learning_options(profiles, profiles_opts.learning);
  auto* p_list = profiles->add_subcommand("list", "every profile with its state and progress");
  p_list->add_flag("--json", profiles_opts.json, "print JSON");
  auto* p_show = profiles->add_subcommand("show", "what one image's profile holds");
  p_show->add_option("image", profiles_opts.image, "image id, id prefix or repo:tag")->required();
  p_show->add_flag("--json", profiles_opts.json, "print JSON");
  auto* p_export = profiles->add_subcommand("export", "write a profile to a file (- for stdout)");
  p_export->add_option("image", profiles_opts.image, "image id, id prefix or repo:tag")->required();
  p_export->add_option("file", profiles_opts.file, "destination")->required();
  auto* p_import = profiles->add_subcommand("import", "add or replace a profile from an exported file");
  p_import->add_option("file", profiles_opts.file, "an exported profile")->required();
  auto* p_reset = profiles->add_subcommand("reset", "forget a profile: its image is learned anew");
  p_reset->add_option("image", profiles_opts.image, "image id, id prefix or repo:tag");
  p_reset->add_flag("--all", profiles_opts.all, "forget every profile");
  auto* p_allow = profiles->add_subcommand(
      "allow", "accept a finding without relearning: add programs, files, peers or sequences to a profile");
  p_allow->add_option("image", profiles_opts.image, "image id, id prefix or repo:tag")->required();
  p_allow->add_option("--program", profiles_opts.allow_programs,
                      "an executable path, or PATH=NAME when its argv[0] differs (busybox applets)");
  p_allow->add_option("--file", profiles_opts.allow_files,
                      "\"MODE PATH\", MODE r, w or rw; PATH may end in /* for a whole directory");
  p_allow->add_option("--peer", profiles_opts.allow_peers,
                      "\"VERB ADDRESS\", e.g. \"connect 10.0.0.5:443\", \"accept *\", \"connect *:5432\"");
  p_allow->add_option("--sequence", profiles_opts.allow_sequences,
                      "\"PROGRAM: call call ...\" (an alert's most unusual sequence, as printed)");
  for (auto* sub : {p_list, p_show, p_export, p_import, p_reset, p_allow}) {
    add_state_dir_option(sub, profiles_opts.state_dir);
    add_learning_options(sub, profiles_opts.learning);
  }

  CaptureOptions agent_opts;
  auto* agent = app.add_subcommand("agent", "capture only, into a Redis stream (root)");
  add_capture_options(agent, agent_opts, true);

  CaptureOptions trace_opts;
  std::vector<std::string> trace_argv;
  auto* trace = app.add_subcommand("trace", "trace one host command: trace -- CMD ARGS...");
  add_capture_options(trace, trace_opts, false);
  trace->add_flag("--print-syscalls", trace_opts.print_syscalls, "print each event as a JSON line");
  trace->add_option("command", trace_argv, "the command and its arguments")->required();
  trace->positionals_at_end();
  trace_opts.detect = false;

  DumpOptions dump_opts;
  auto* dump = app.add_subcommand("dump", "print the events of a Redis stream as JSON lines");
  dump->add_option("--redis", dump_opts.redis_url, "redis://host:port[/db] (required: here, `redis:` in --config or -o redis=URL)");
  dump->add_option("--redis-credentials", dump_opts.redis_credentials, "file holding the Redis password (one line, user:password or the password alone; else $DA_REDIS_USERNAME/$DA_REDIS_PASSWORD)");
  dump->add_option("--stream", dump_opts.stream, "Redis stream name")->default_val(dump_opts.stream);
  dump->add_option("--count", dump_opts.count, "stop after N events (default: all)");
  dump->add_flag("--follow", dump_opts.follow, "keep waiting for new events");

  EvalOptions eval_opts;
  auto* eval = app.add_subcommand("eval", "evaluate detection on a syscall-trace dataset");
  eval->add_option("--format", eval_opts.format, "dataset format")
      ->check(CLI::IsMember({"adfa", "unm"}))
      ->default_val("adfa");
  eval->add_option("--train", eval_opts.train_dir, "normal traces to learn from")->required();
  eval->add_option("--normal", eval_opts.normal_dir, "held-out normal traces")->required();
  eval->add_option("--attack", eval_opts.attack_dir, "attack traces")->required();
  eval->add_flag("--json", eval_opts.json, "print one JSON object");
  eval->add_option("--roc", eval_opts.roc_svg, "write the ROC curve as SVG");
  eval->add_option("--order", eval_opts.order, "n-gram order")
      ->default_val(eval_opts.order)
      ->check(CLI::Range(1, 16));
  eval->add_option("--threshold-quantile", eval_opts.threshold_quantile,
                   "quantile of held-out training scores used as the alarm threshold")
      ->default_val(eval_opts.threshold_quantile)
      ->check(CLI::Range(0.5, 1.0));

  AlertTestOptions alert_test_opts;
  auto* alert_test = app.add_subcommand(
      "alert-test", "send one test alert through every configured output; fails if any fails");
  add_state_dir_option(alert_test, alert_test_opts.state_dir);
  add_alert_options(alert_test, alert_test_opts.alerts);

  CaptureOptions check_opts;
  auto* config_cmd = app.add_subcommand("config", "work with the configuration");
  config_cmd->require_subcommand(1);
  auto* config_check = config_cmd->add_subcommand(
      "check", "validate the configuration and the environment without root; say what could not be checked");
  add_capture_options(config_check, check_opts, true);
  add_detection_options(config_check, check_opts.detection);

  std::string log_level = "info";
  // Every command reads the one configuration tree (eval uses none of it, but a shared -o
  // line in an operator's script must not break it).
  for (auto* cmd : {run, agent, detect, fleet, profiles, alert_test, dump, config_check, trace, eval})
    add_config_options(cmd, log_level);
  for (auto* sub : profiles->get_subcommands({})) add_config_options(sub, log_level);
  const std::string config = find_config_argument(argc, argv);
  const std::vector<std::string> overrides = find_option_overrides(argc, argv);
  if (!config.empty() || !overrides.empty()) {
    auto loaded = load_config(config, overrides,
                              ConfigTargets{&run_opts, &agent_opts, &detect_opts, &profiles_opts,
                                            &alert_test_opts, &dump_opts, &check_opts, &log_level, &trace_opts, &fleet_opts});
    if (!loaded) {
      std::fprintf(stderr, "error: %s\n", loaded.error().message.c_str());
      return 2;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 numbers its errors (105, 106, 109, ...); every usage error exits 2 here.
    if (const std::string word = unknown_command(app, argc, argv); !word.empty()) {
      std::string names;
      for (const auto* sub : app.get_subcommands({})) names += (names.empty() ? "" : ", ") + sub->get_name();
      std::fprintf(stderr, "error: unknown command '%s' (commands: %s)\n", word.c_str(), names.c_str());
    } else {
      std::fprintf(stderr, "error: %s\n", e.what());
    }
    std::fprintf(stderr, "Run with --help for more information.\n");
    return 2;
  }
  // Edge mode: alerts also go to the fleet's stream (an output like the others, reloaded with them).
  if (!run_opts.fleet_url.empty()) {
    run_opts.detection.alerts.fleet = {run_opts.fleet_url, run_opts.redis_credentials};
    if (run_opts.fleet_node.empty()) run_opts.fleet_node = host_name();
  }
  // The fleet's dispatcher: one incident per image, whichever host (kept across SIGHUP too).
  fleet_opts.detection.alerts.noise.per_image = true;
  if (reread) {
    reread->log_level = log_level;
    reread->detection = *detect ? detect_opts.detection : *fleet ? fleet_opts.detection : run_opts.detection;
    return -1;
  }
  set_log_level(*parse_log_level(log_level));
  // SIGHUP: read the same command line again.
  const auto reload = [argc, argv]() -> Result<Reloadable> {
    Reloadable fresh;
    if (parse_and_run(argc, argv, &fresh) != -1)
      return Error{"the configuration has errors (above)", ErrorCause::kInvalid};
    return fresh;
  };
  run_opts.reread = reload;
  agent_opts.reread = reload;  // the log level; an agent has no alert outputs
  detect_opts.reread = reload;
  fleet_opts.reread = reload;
  auto needs_redis = [](const std::string& url, const char* command) {
    if (!url.empty()) return true;
    std::fprintf(stderr, "error: %s needs a Redis URL: --redis URL, `redis: {url: ...}` in --config, or -o redis.url=URL\n", command);
    return false;
  };
  if (*detect && !needs_redis(detect_opts.redis_url, "detect")) return 2;
  if (*dump && !needs_redis(dump_opts.redis_url, "dump")) return 2;
  if (*fleet && !needs_redis(fleet_opts.redis_url, "fleet")) return 2;
  if (*fleet) return fleet_command(fleet_opts);
  if (*run) return run_command(run_opts);
  if (*config_check) return config_check_command(check_opts);
  if (*agent) return agent_command(agent_opts);
  if (*detect) return detect_command(detect_opts);
  if (*alert_test) return alert_test_command(alert_test_opts);
  if (*profiles) {
    for (auto* sub : profiles->get_subcommands()) profiles_opts.action = sub->get_name();
    if (profiles_opts.action == "reset" && profiles_opts.image.empty() && !profiles_opts.all) {
      std::fprintf(stderr, "error: profiles reset needs an image or --all\n");
      return 2;
    }
    return profiles_command(profiles_opts);
  }
  if (*trace) {
    trace_opts.backend = "ptrace";  // a host command is traced with ptrace, whatever `backend` says
    return trace_command(trace_opts, trace_argv);
  }
  if (*dump) return dump_command(dump_opts);
  if (*eval) return eval_command(eval_opts);
  return 2;
}

int main_entry(int argc, char** argv) {
  block_termination_signals();
  return parse_and_run(argc, argv, nullptr);
}

}  // namespace da
