#pragma once
// The subcommands, as functions returning the process exit code. main() only parses the
// command line (cli.cpp) and calls one of these.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "alert/alert_settings.h"
#include "core/result.h"
#include "detect/learning.h"
#include "detect/profile_store.h"
#include "transport/redis_stream.h"

namespace da {

// How the engine learns and where it keeps profiles and writes alerts (run, detect).
struct DetectionOptions {
  std::string state_dir = kDefaultStateDir;
  LearningSettings learning;
  long long progress_interval_seconds = 60;
  bool seed_from_previous_tag = false;
  double min_threshold = 3.0;
  int window = 16;
  AlertSettings alerts;
};

// What SIGHUP may change, read again from the same command line (and its --config file).
struct Reloadable {
  DetectionOptions detection;
  std::string log_level;
};
using Reread = std::function<Result<Reloadable>()>;

struct CaptureOptions {
  std::string backend = "auto";  // auto | ebpf | ptrace
  std::string docker_host;  // empty: DOCKER_HOST, else /var/run/docker.sock
  std::string redis_url;    // empty: the in-process queue
  std::string redis_credentials;  // file: "user:password" or a password (else $DA_REDIS_*)
  std::string stream = kDefaultStream;
  long long stream_max_length = 100000;  // entries (batches) kept in the Redis stream
  uint32_t shards = 1;  // stream shards, by image (transport/stream_shards.h); as the detectors'
  size_t batch_size = 256;
  bool print_syscalls = false;
  bool detect = true;  // run: feed the detection engine (off for agent and trace)
  // run, eBPF: stable programs' known sequences are judged in the kernel (core/kernel_judge.h).
  bool judge_in_kernel = true;
  // run: edge mode (app/fleet_sync.h): learning shared through this Redis, alerts to its stream.
  std::string fleet_url;
  std::string fleet_node;  // this host's name in the fleet (default: the host name)
  long long fleet_sync_seconds = 30;
  std::string metrics_address;  // "" off; PORT (loopback) or HOST:PORT: /metrics and /healthz
  Reread reread;                // set by the command line, for SIGHUP
  DetectionOptions detection;
};

int run_command(const CaptureOptions& options);    // agent + detector in one process
int agent_command(const CaptureOptions& options);  // capture only, into Redis
int trace_command(const CaptureOptions& options, const std::vector<std::string>& argv);
// Validates what `run` would use, without root; says what it could not check.
int config_check_command(const CaptureOptions& options);

struct DetectOptions {
  std::string redis_url;
  std::string redis_credentials;
  std::string stream = kDefaultStream;
  std::string metrics_address;  // as CaptureOptions
  Reread reread;
  std::string group = "docker-anomalies-detectors";
  std::string consumer;  // default: host:pid
  uint32_t shards = 1;   // as the agents'
  long long lease_ms = 10000;  // a dead detector's shards move to the others after this
  DetectionOptions detection;
};
int detect_command(const DetectOptions& options);  // detector only, from a Redis stream

// Edge mode's centre: merges what hosts learned into one stable profile per image, and sends
// the hosts' alerts to the outputs once per incident.
struct FleetOptions {
  std::string redis_url;
  std::string redis_credentials;
  long long merge_seconds = 5;
  std::string consumer;  // in the alert stream's group (default host:pid)
  Reread reread;
  DetectionOptions detection;
};
int fleet_command(const FleetOptions& options);

struct ProfilesOptions {
  std::string action;  // list | show | export | import | reset | allow
  std::string state_dir = kDefaultStateDir;
  std::string image;   // image id, id prefix or repo:tag
  std::string file;    // export destination / import source
  bool all = false;    // reset every profile
  bool json = false;
  LearningSettings learning;  // for the progress display
  // allow: what to add to a profile (detect/allowances.h): programs (/usr/bin/x), files
  // ("r /srv/*"), peers ("connect 10.0.0.5:443"), sequences ("PROGRAM: call call ...").
  std::vector<std::string> allow_programs, allow_files, allow_peers, allow_sequences;
};
int profiles_command(const ProfilesOptions& options);

struct AlertTestOptions {
  std::string state_dir = kDefaultStateDir;
  AlertSettings alerts;
};
// Sends one test alert through every configured sink; non-zero with the reason if any failed.
int alert_test_command(const AlertTestOptions& options);

struct DumpOptions {
  std::string redis_url;
  std::string redis_credentials;
  std::string stream = kDefaultStream;
  uint64_t count = 0;  // events; 0 = all there are
  bool follow = false;
};
int dump_command(const DumpOptions& options);

struct EvalOptions {
  std::string format = "adfa";  // adfa | unm
  std::string train_dir, normal_dir, attack_dir;
  bool json = false;
  std::string roc_svg;
  int order = 6;  // the live engine's n-gram length (kProfileOrder)
  double threshold_quantile = 0.99;
};
int eval_command(const EvalOptions& options);

}  // namespace da
