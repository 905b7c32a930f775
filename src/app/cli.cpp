#include "app/cli.h"

#include <CLI/CLI.hpp>

#include "app/commands.h"
#include "app/signals.h"

namespace da {
namespace {

void add_capture_options(CLI::App* cmd, CaptureOptions& o, bool with_docker) {
  cmd->add_option("--backend", o.backend, "capture backend")
      ->check(CLI::IsMember({"ptrace"}))
      ->default_val("ptrace");
  if (with_docker)
    cmd->add_option("--docker-host", o.docker_host,
                    "Docker API endpoint (unix:///path or tcp://host:port); default $DOCKER_HOST "
                    "or unix:///var/run/docker.sock");
  cmd->add_option("--redis", o.redis_url,
                  "send event batches to a Redis stream: redis://[user:pass@]host:port[/db]");
  cmd->add_option("--stream", o.stream, "Redis stream name")->default_val(o.stream);
  cmd->add_option("--stream-maxlen", o.stream_max_length,
                  "approximate number of batches the Redis stream keeps")
      ->default_val(o.stream_max_length)
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch-size", o.batch_size, "events per batch")
      ->default_val(o.batch_size)
      ->check(CLI::Range(1, 65536));
}

}  // namespace

int main_entry(int argc, char** argv) {
  block_termination_signals();
  CLI::App app{"docker-anomalies: detects intrusions in Docker containers from their system calls"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "docker-anomalies 0.1.0");

  CaptureOptions run_opts;
  auto* run = app.add_subcommand("run", "monitor every container: capture and detect (root)");
  add_capture_options(run, run_opts, true);
  run->add_flag("--print-syscalls", run_opts.print_syscalls, "print each event as a JSON line");

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

  DumpOptions dump_opts;
  auto* dump = app.add_subcommand("dump", "print the events of a Redis stream as JSON lines");
  dump->add_option("--redis", dump_opts.redis_url, "redis://[user:pass@]host:port[/db]")
      ->required();
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (*run) return run_command(run_opts);
  if (*agent) return agent_command(agent_opts);
  if (*trace) return trace_command(trace_opts, trace_argv);
  if (*dump) return dump_command(dump_opts);
  if (*eval) return eval_command(eval_opts);
  return 2;
}

}  // namespace da
