#pragma once
// SIGINT/SIGTERM (stop), SIGHUP (reload the configuration) and SIGUSR1 (reopen files, for
// logrotate) are blocked in every thread and taken synchronously by the main thread, so what
// they trigger runs as ordinary code and never inside a signal handler.
#include <chrono>

namespace da {

enum class Signal { kNone, kTerminate, kReload, kReopen };

// Call first in main(), before any thread exists.
void block_termination_signals();
// Restores the default mask; a child must call it before exec.
void unblock_all_signals();
// Waits up to `timeout` for any of the signals above; kNone if none came.
Signal wait_for_signal(std::chrono::milliseconds timeout);
// Waits up to `timeout` for SIGINT/SIGTERM only; true if one arrived.
bool wait_for_termination(std::chrono::milliseconds timeout);

}  // namespace da
