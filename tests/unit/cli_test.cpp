// The command line as a user meets it, through the real binary: exit codes (0 ok, 1 failure at
// run time, 2 usage or configuration error), one configuration tree (--config, -o, flags) and
// `config check`.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

struct CliRun {
  int code;
  std::string out;  // stdout and stderr
};

CliRun run(const std::string& args) {
  CliRun r{-1, {}};
  FILE* p = popen((std::string(DA_BINARY) + " " + args + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string temp_file(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "da-cli-" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

// Nothing listens on port 1 of loopback: a Redis that cannot be reached, at run time.
const std::string kNoRedis = "redis://127.0.0.1:1";

TEST(Cli, UsageErrorsExitTwoWithAMessage) {
  for (const char* args : {"frobnicate", "", "run --bogus", "run --window 0", "detect", "dump",
                           "profiles", "run --backend nope", "run --log-level loud", "config"}) {
    const CliRun r = run(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find("error: "), std::string::npos) << args << "\n" << r.out;
  }
  const CliRun unknown = run("frobnicate");
  EXPECT_NE(unknown.out.find("unknown command 'frobnicate'"), std::string::npos) << unknown.out;
  EXPECT_EQ(run("--help").code, 0);
  EXPECT_EQ(run("--version").code, 0);
}

TEST(Cli, ARequiredValueMayComeFromTheConfigFileOrMinusO) {
  // detect needs a Redis URL; given by the file, or by -o, it gets as far as connecting: exit 1.
  const std::string config = temp_file("redis.yaml", "redis: " + kNoRedis + "\n");
  const std::string state = "--state-dir " + ::testing::TempDir() + "da-cli-state-" + std::to_string(getpid());
  const std::string sectioned = temp_file("redis-url.yaml", "redis:\n  url: " + kNoRedis + "\n");
  for (const std::string& args : {"detect --config " + config + " " + state, "detect -o redis=" + kNoRedis + " " + state,
                                  "detect --config " + sectioned + " " + state, "detect -o redis.url=" + kNoRedis + " " + state,
                                  "dump --config " + config}) {
    const CliRun r = run(args);
    EXPECT_EQ(r.code, 1) << args << "\n" << r.out;
    EXPECT_NE(r.out.find("cannot reach Redis at redis://127.0.0.1:1"), std::string::npos) << args << "\n" << r.out;
  }
}

TEST(Cli, MinusOSetsAnyKeyAndRejectsWhatTheFileWould) {
  const CliRun typo = run("detect -o redis=" + kNoRedis + " -o learning.novelyt=0.1");
  EXPECT_EQ(typo.code, 2) << typo.out;
  EXPECT_NE(typo.out.find("unknown key 'learning.novelyt'"), std::string::npos) << typo.out;
  const CliRun type = run("detect -o redis=" + kNoRedis + " -o alerts.noise.rate_per_minute=many");
  EXPECT_EQ(type.code, 2) << type.out;
  EXPECT_NE(type.out.find("'alerts.noise.rate_per_minute' has the wrong type"), std::string::npos) << type.out;
  EXPECT_EQ(run("detect -o redis").code, 2);
  // The file's value is overridden by -o: here a wrong type in the file is replaced.
  const std::string config = temp_file("bad.yaml", "learning:\n  novelty: lots\n");
  EXPECT_EQ(run("config check --config " + config).code, 2);
  const CliRun fixed = run("config check --config " + config + " -o learning.novelty=0.01 -o docker_host=unix:///nonexistent.sock");
  EXPECT_EQ(fixed.code, 0) << "valid: only the host is not ready (no Docker there), which is reported\n" << fixed.out;
  EXPECT_NE(fixed.out.find("problem     docker:"), std::string::npos) << fixed.out;
}

TEST(Cli, TheExampleConfigChecksAsShipped) {
  const CliRun r = run(std::string("config check --config ") + DA_SOURCE_DIR + "/docker-anomalies.example.yaml");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("invalid"), std::string::npos) << r.out;
  // The interface operators script against: -o with YAML paths, metrics.address.
  const CliRun bad = run(std::string("config check --config ") + DA_SOURCE_DIR +
                         "/docker-anomalies.example.yaml -o metrics.address=127.0.0.1:99999");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("invalid     metrics.address:"), std::string::npos) << bad.out;
  const CliRun typo = run("config check -o metrics.adress=9464");
  EXPECT_EQ(typo.code, 2) << typo.out;
  EXPECT_NE(typo.out.find("unknown key 'metrics.adress'"), std::string::npos) << typo.out;
}

TEST(Cli, ConfigCheckSaysWhatIsWrongAndWhatItCouldNotCheck) {
  const std::string state = ::testing::TempDir() + "da-cli-check-" + std::to_string(getpid());
  const CliRun bad = run("config check -o alerts.email.to=[ops@example.com] --state-dir " + state);
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("invalid     alerts: --email-to needs --smtp-url"), std::string::npos) << bad.out;
  const CliRun env = run("config check --docker-host unix:///nonexistent.sock --backend ptrace -o redis=" + kNoRedis +
                      " --state-dir " + state + " --alert-json " + state + "/alerts.jsonl");
  EXPECT_EQ(env.code, 0) << "the configuration is valid; the host's problems are reported\n" << env.out;
  EXPECT_NE(env.out.find("problem     docker: cannot reach Docker at unix:///nonexistent.sock"), std::string::npos) << env.out;
  EXPECT_NE(env.out.find("problem     redis: cannot reach Redis"), std::string::npos) << env.out;
  EXPECT_NE(env.out.find("state_dir: " + state), std::string::npos) << env.out;
  EXPECT_NE(env.out.find("alerts.json_file: " + state), std::string::npos) << env.out;
  EXPECT_EQ(env.out.find("ebpf:"), std::string::npos) << "ptrace asked: eBPF is not checked\n" << env.out;
  EXPECT_FALSE(std::ifstream(state + "/alerts.jsonl").good()) << "a check creates no file";
}

}  // namespace
