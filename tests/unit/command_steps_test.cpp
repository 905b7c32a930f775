// Commands as ordered steps: a failure at any step stops the run with its exit code, and every
// step that completed is torn down, newest first, exactly once.
#include <gtest/gtest.h>

#include "app/command_steps.h"

namespace da {
namespace {

struct Log {
  std::vector<std::string> lines;
  int exit_code = 0;
};

CommandStep<Log> step(const std::string& name, Status result, bool with_teardown = true) {
  CommandStep<Log> s{"", [name, result](Log& l) -> Status {
                       l.lines.push_back("run " + name);
                       return result;
                     }};
  if (with_teardown) s.teardown = [name](Log& l) { l.lines.push_back("teardown " + name); };
  return s;
}

TEST(CommandSteps, AllStepsRunInOrderAndTearDownInReverse) {
  Log log;
  Console console;
  EXPECT_EQ(run_steps(log, {step("a", ok_status()), step("b", ok_status(), false), step("c", ok_status())}, console), 0);
  EXPECT_EQ(log.lines, (std::vector<std::string>{"run a", "run b", "run c", "teardown c", "teardown a"}));
}

TEST(CommandSteps, AFailedStepStopsTheRunAndOnlyCompletedStepsAreTornDown) {
  Log log;
  Console console;
  const int code = run_steps(log, {step("a", ok_status()), step("b", Error{"Redis is down", ErrorCause::kUnreachable}),
                                   step("c", ok_status())}, console);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(log.lines, (std::vector<std::string>{"run a", "run b", "teardown a"}));
}

TEST(CommandSteps, AConfigurationErrorExitsTwoAndATeardownMaySetTheExitCode) {
  Log log;
  Console console;
  EXPECT_EQ(run_steps(log, {step("a", Error{"bad URL", ErrorCause::kInvalid})}, console), 2);
  Log saved;
  CommandStep<Log> save{"save", [](Log&) { return ok_status(); }, [](Log& l) { l.exit_code = 1; }};
  EXPECT_EQ(run_steps(saved, {save}, console), 1);
}

}  // namespace
}  // namespace da
