#pragma once
// A command as ordered steps over one state object (the idea of falco's app/actions): each
// step runs in turn; the first that fails ends the run, its message printed as "error: ...".
// Then the teardown of every step that completed runs, newest first, whatever happened: what
// was started is stopped exactly once, and a failure at any step exits cleanly.
// Exit codes: 2 for a usage or configuration error (ErrorCause::kInvalid), 1 for a failure at
// run time, else the state's own exit_code (a teardown may set it, e.g. profiles not saved).
#include <functional>
#include <string>
#include <vector>

#include "core/console.h"
#include "core/result.h"

namespace da {

template <class State>
struct CommandStep {
  const char* name;  // what the step does, for the code reader and for tests
  std::function<Status(State&)> run;
  std::function<void(State&)> teardown = {};
};

inline int exit_code_for(const Error& e) { return e.cause == ErrorCause::kInvalid ? 2 : 1; }

// State needs `int exit_code` (0 unless a step or teardown says otherwise).
template <class State>
int run_steps(State& state, const std::vector<CommandStep<State>>& steps, Console& console) {
  std::vector<const CommandStep<State>*> completed;
  int failed_with = 0;
  for (const auto& step : steps) {
    Status s = step.run(state);
    if (!s) {
      console.error(s.error().message);
      failed_with = exit_code_for(s.error());
      break;
    }
    completed.push_back(&step);
  }
  for (auto it = completed.rbegin(); it != completed.rend(); ++it)
    if ((*it)->teardown) (*it)->teardown(state);
  return failed_with ? failed_with : state.exit_code;
}

}  // namespace da
