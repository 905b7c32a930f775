// `trace -- CMD ARGS...`: one host command through the same pipeline, no Docker involved.
// Ordered steps with teardown (app/command_steps.h).
#include <atomic>
#include <thread>

#include "app/capture_session.h"
#include "app/command_steps.h"
#include "app/commands.h"
#include "app/signals.h"

namespace da {
namespace {

struct TraceRun {
  const CaptureOptions& options;
  const std::vector<std::string>& argv;
  Console& console;
  std::unique_ptr<CaptureSession> session;
  int exit_code = 0;
};

const std::vector<CommandStep<TraceRun>>& trace_steps() {
  static const std::vector<CommandStep<TraceRun>> steps = {
      {"check the command",
       [](TraceRun& r) -> Status {
         if (!r.argv.empty()) return ok_status();
         return Error{"trace needs a command: docker-anomalies trace -- CMD ARGS...", ErrorCause::kInvalid};
       }},
      {"build the pipeline",
       [](TraceRun& r) -> Status {
         auto session = CaptureSession::create(r.options, true, r.console);
         if (!session) return session.error();
         r.session = std::move(*session);
         return ok_status();
       }},
      {"start the tracer",
       [](TraceRun& r) -> Status {
         if (auto s = r.session->start(); !s) return s;
         if (!r.session->command_tracer())
           return Error{"the " + r.session->backend().name() + " backend cannot trace a host command; use --backend ptrace",
                        ErrorCause::kInvalid};
         return ok_status();
       },
       [](TraceRun& r) {
         // Empty when the command's step already finished the session.
         if (auto summary = r.session->finish(); !summary.empty()) r.console.info(summary);
       }},
      {"trace the command",
       [](TraceRun& r) -> Status {
         CommandTracer& tracer = *r.session->command_tracer();
         auto pid = tracer.spawn(r.argv);
         if (!pid) return Error{"cannot trace " + r.argv[0] + ": " + pid.error().message};
         std::atomic<bool> done{false};
         int exit_code = 0;
         std::thread waiter([&] {
           exit_code = tracer.wait_spawned();
           done = true;
         });
         while (!done && !wait_for_termination(std::chrono::milliseconds(100))) {
         }
         const std::string summary = r.session->finish();  // stops the tracer: the waiter returns
         waiter.join();
         r.console.info(summary);  // stdout is the command's (and --print-syscalls')
         if (exit_code == 127) r.console.error("cannot run " + r.argv[0]);
         r.exit_code = exit_code < 0 ? 1 : exit_code;
         return ok_status();
       }},
  };
  return steps;
}

}  // namespace

int trace_command(const CaptureOptions& options, const std::vector<std::string>& argv) {
  Console console;
  TraceRun run{options, argv, console, {}, 0};
  return run_steps(run, trace_steps(), console);
}

}  // namespace da
