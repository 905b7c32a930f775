#pragma once
// Helpers for end-to-end tests: the services come from tests/harness/run-e2e.sh through the
// environment; commands run for real (docker CLI, the agent binary).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace e2e {

// The environment the harness provides; empty when it is missing.
std::string docker_host();
std::string redis_url();
std::string image();
bool in_ci();

// Outside CI a missing harness is a skip with the reason; in CI it is a failure.
#define E2E_REQUIRE_HARNESS()                                                               \
  do {                                                                                      \
    if (::e2e::docker_host().empty() || ::e2e::redis_url().empty() || geteuid() != 0) {     \
      if (::e2e::in_ci()) FAIL() << "CI must run end-to-end tests via tests/harness/run-e2e.sh as root"; \
      GTEST_SKIP() << "needs root and the services of tests/harness/run-e2e.sh (make test)"; \
    }                                                                                       \
  } while (0)

struct Shell {
  int exit_code;
  std::string output;  // stdout and stderr
};
Shell sh(const std::string& command);
std::string trim(std::string s);
std::string unique_name(const std::string& prefix);
// An alert file's lines (Falco-compatible: time, rule, priority, output, output_fields...),
// as their output_fields, where our own fields are.
std::vector<nlohmann::json> read_alerts(const std::string& path);

// A directory under the test temp dir, removed with everything in it at scope exit.
struct TempDir {
  std::string path;
  TempDir();
  ~TempDir();
};

// A dockerd of the test's own (tests/harness/private-dockerd.sh), removed with its containers
// at scope exit: a second "host" on this machine, or one the test may restart.
struct PrivateEngine {
  std::string dir;
  std::string extra_args;  // DOCKERD_EXTRA_ARGS, e.g. --live-restore
  std::string host;        // its -H address once started

  std::string control(const std::string& verb) const;
  bool start();
  void stop() const;
  std::string docker(const std::string& args) const { return "docker -H " + host + " " + args; }
  ~PrivateEngine();
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

// The agent binary running in the background, its output collected in a file.
class Process {
 public:
  explicit Process(const std::vector<std::string>& argv);
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) const;
  std::string output() const;
  // SIGTERM, then waits; the exit code, or -1 if it had to be killed.
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string output_path_;
};

int tracer_pid_of(pid_t pid);
std::vector<pid_t> container_pids(const std::string& container_id);

}  // namespace e2e
