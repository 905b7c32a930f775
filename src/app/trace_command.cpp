// `trace -- CMD ARGS...`: one host command through the same pipeline, no Docker involved.
#include <atomic>
#include <thread>

#include "app/capture_session.h"
#include "app/commands.h"
#include "app/signals.h"

namespace da {

int trace_command(const CaptureOptions& options, const std::vector<std::string>& argv) {
  Console console;
  if (argv.empty()) {
    console.error("error: trace needs a command: docker-anomalies trace -- CMD ARGS...");
    return 2;
  }
  auto session = CaptureSession::create(options, true, console);
  if (!session) {
    console.error("error: " + session.error().message);
    return 1;
  }
  if (auto s = (*session)->start(); !s) {
    console.error("error: " + s.error().message);
    return 1;
  }
  auto pid = (*session)->backend().spawn(argv);
  if (!pid) {
    console.error("error: cannot trace " + argv[0] + ": " + pid.error().message);
    console.error((*session)->finish());
    return 1;
  }
  std::atomic<bool> done{false};
  int exit_code = 0;
  std::thread waiter([&] {
    exit_code = (*session)->backend().wait_spawned();
    done = true;
  });
  while (!done && !wait_for_termination(std::chrono::milliseconds(100))) {
  }
  const std::string summary = (*session)->finish();  // stops the backend: the waiter returns
  waiter.join();
  console.error(summary);
  if (exit_code == 127) console.error("error: cannot run " + argv[0]);
  return exit_code < 0 ? 1 : exit_code;
}

}  // namespace da
