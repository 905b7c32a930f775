#include "e2e_support.h"

#include "loopback.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "capture/proc_scan.h"

namespace e2e {

static std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string docker_host() { return env("DA_TEST_DOCKER_HOST"); }
std::string redis_url() { return env("DA_TEST_REDIS_URL"); }
std::string image() { return env("DA_TEST_IMAGE"); }
bool in_ci() { return env("CI") == "true"; }

Shell sh(const std::string& command) {
  Shell r{-1, {}};
  FILE* p = popen(("DOCKER_HOST=" + docker_host() + " " + command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string unique_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(rd() % 1000000);
}

Process::Process(const std::vector<std::string>& argv) {
  output_path_ = ::testing::TempDir() + unique_name("agent") + ".log";
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    setenv("DOCKER_HOST", docker_host().c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

Process::~Process() {
  if (pid_ > 0) terminate(std::chrono::seconds(5));
}

std::string Process::output() const {
  std::ifstream f(output_path_);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool Process::wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return output().find(needle) != std::string::npos;
}

int Process::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

int tracer_pid_of(pid_t pid) {
  auto st = da::read_proc_status(pid);
  return st ? st->tracer_pid : -1;
}

std::vector<pid_t> container_pids(const std::string& container_id) {
  return da::pids_in_container(container_id);
}

int free_port() { return da::loopback::free_port(); }

std::vector<nlohmann::json> read_alerts(const std::string& path) {
  std::vector<nlohmann::json> alerts;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (j.is_discarded()) continue;
    EXPECT_TRUE(j.contains("rule") && j.contains("priority") && j.contains("output_fields")) << line;
    alerts.push_back(j["output_fields"]);
  }
  return alerts;
}

std::string PrivateEngine::control(const std::string& verb) const {
  return "DOCKERD_EXTRA_ARGS='" + extra_args + "' bash " + DA_SOURCE_DIR +
         "/tests/harness/private-dockerd.sh " + verb + " " + dir;
}

bool PrivateEngine::start() {
  auto r = sh(control("start"));
  if (r.exit_code != 0) return false;
  host = trim(r.output);
  return true;
}

void PrivateEngine::stop() const { sh(control("stop")); }

PrivateEngine::~PrivateEngine() {
  if (!host.empty()) sh(docker("rm -f $(" + docker("ps -aq") + ") >/dev/null 2>&1"));
  stop();
  sh("grep -o ' " + dir + "[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l");
  sh("rm -rf " + dir);
}

TempDir::TempDir() : path(::testing::TempDir() + unique_name("da-state")) {
  std::filesystem::create_directories(path);
}

TempDir::~TempDir() { std::filesystem::remove_all(path); }

}  // namespace e2e
