// `trace` runs one host command under the ptrace backend. Tracing one's own child needs no root
// (unless Yama's ptrace_scope forbids it, which the test reports as a skip with the reason).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace {

struct CommandOutput {
  int exit_code = -1;
  std::vector<std::string> stdout_lines;
  std::string stderr_text;
};

CommandOutput run(const std::string& args) {
  const std::string err_path = ::testing::TempDir() + "trace_stderr.txt";
  CommandOutput out;
  FILE* p = popen((std::string(DA_BINARY) + " " + args + " 2>" + err_path).c_str(), "r");
  char buf[65536];
  while (p && fgets(buf, sizeof buf, p)) {
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    out.stdout_lines.push_back(line);
  }
  int status = p ? pclose(p) : -1;
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream f(err_path);
  std::stringstream ss;
  ss << f.rdbuf();
  out.stderr_text = ss.str();
  return out;
}

bool ptrace_forbidden() {
  std::ifstream f("/proc/sys/kernel/yama/ptrace_scope");
  int scope = 0;
  return f >> scope && scope >= 3;
}

std::vector<nlohmann::json> events_of(const CommandOutput& out) {
  std::vector<nlohmann::json> events;
  for (const auto& l : out.stdout_lines) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (!j.is_discarded() && j.contains("name")) events.push_back(j);
  }
  return events;
}

}  // namespace

TEST(TraceCommand, CapturesEverySyscallOfACommandWithDecodedArguments) {
  if (ptrace_forbidden()) GTEST_SKIP() << "kernel.yama.ptrace_scope=3 forbids ptrace here";
  auto out = run("trace --print-syscalls -- /bin/cat /etc/hostname");
  ASSERT_EQ(out.exit_code, 0) << out.stderr_text;
  auto events = events_of(out);
  ASSERT_FALSE(events.empty());
  // The very first call is the execve of the command, argv decoded.
  EXPECT_EQ(events.front()["name"], "execve");
  EXPECT_EQ(events.front()["arguments"][1]["value"], nlohmann::json({"/bin/cat", "/etc/hostname"}));
  bool saw_open = false;
  for (const auto& e : events) {
    if (e["name"] == "openat" && e["arguments"][1]["value"] == "/etc/hostname") {
      saw_open = true;
      EXPECT_GE(e["return"].get<int64_t>(), 0);
      EXPECT_EQ(e["arguments"][1]["name"], "filename");
      EXPECT_EQ(e["comm"], "cat");
    }
  }
  EXPECT_TRUE(saw_open);
  EXPECT_EQ(events.back()["name"], "exit_group");
  EXPECT_NE(out.stderr_text.find("captured " + std::to_string(events.size()) + " syscalls, dropped 0"),
            std::string::npos)
      << out.stderr_text;
}

TEST(TraceCommand, FollowsForksAndThreadsOfTheCommand) {
  if (ptrace_forbidden()) GTEST_SKIP() << "kernel.yama.ptrace_scope=3 forbids ptrace here";
  auto out = run("trace --print-syscalls -- /bin/sh -c '/bin/true; /bin/cat /etc/hostname >/dev/null'");
  ASSERT_EQ(out.exit_code, 0) << out.stderr_text;
  std::set<int> pids;
  int execs = 0;
  for (const auto& e : events_of(out)) {
    pids.insert(e["pid"].get<int>());
    if (e["name"] == "execve" && e["return"] == 0) ++execs;
  }
  EXPECT_GE(pids.size(), 2u);  // the shell and at least one child
  EXPECT_GE(execs, 3);        // sh, true, cat
}

TEST(TraceCommand, PassesOnTheExitCodeAndReportsAMissingCommand) {
  if (ptrace_forbidden()) GTEST_SKIP() << "kernel.yama.ptrace_scope=3 forbids ptrace here";
  EXPECT_EQ(run("trace -- /bin/sh -c 'exit 3'").exit_code, 3);
  auto missing = run("trace -- /nonexistent/command");
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.stderr_text.find("cannot run"), std::string::npos);
}

TEST(Cli, RejectsBadInputWithAClearMessage) {
  auto bad_backend = run("run --backend nonsense");
  EXPECT_NE(bad_backend.exit_code, 0);
  auto bad_redis = run("dump --redis http://x");
  EXPECT_EQ(bad_redis.exit_code, 2);
  EXPECT_NE(bad_redis.stderr_text.find("invalid Redis URL"), std::string::npos);
  auto no_redis = run("dump --redis redis://127.0.0.1:1");
  EXPECT_EQ(no_redis.exit_code, 1);
  EXPECT_NE(no_redis.stderr_text.find("cannot reach Redis"), std::string::npos);
}
