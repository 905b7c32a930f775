#pragma once
// The subcommands, as functions returning the process exit code. main() only parses the
// command line (cli.cpp) and calls one of these.
#include <cstdint>
#include <string>
#include <vector>

namespace da {

struct CaptureOptions {
  std::string backend = "ptrace";
  std::string docker_host;  // empty: DOCKER_HOST, else /var/run/docker.sock
  std::string redis_url;    // empty: the in-process queue
  std::string stream = "docker-anomalies:events";
  long long stream_max_length = 100000;  // entries (batches) kept in the Redis stream
  size_t batch_size = 256;
  bool print_syscalls = false;
};

int run_command(const CaptureOptions& options);    // agent + detector in one process
int agent_command(const CaptureOptions& options);  // capture only, into Redis
int trace_command(const CaptureOptions& options, const std::vector<std::string>& argv);

struct DumpOptions {
  std::string redis_url;
  std::string stream = "docker-anomalies:events";
  uint64_t count = 0;  // events; 0 = all there are
  bool follow = false;
};
int dump_command(const DumpOptions& options);

struct EvalOptions {
  std::string format = "adfa";  // adfa | unm
  std::string train_dir, normal_dir, attack_dir;
  bool json = false;
  std::string roc_svg;
  int order = 7;
  double threshold_quantile = 0.99;
};
int eval_command(const EvalOptions& options);

}  // namespace da
