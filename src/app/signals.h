#pragma once
// SIGINT/SIGTERM are blocked in every thread and taken synchronously by the main thread, so
// shutdown runs as ordinary code (detach, drain, summary) and never inside a signal handler.
#include <chrono>

namespace da {

// Call first in main(), before any thread exists.
void block_termination_signals();
// Restores the default mask; a child must call it before exec.
void unblock_all_signals();
// Waits up to `timeout` for SIGINT/SIGTERM; true if one arrived.
bool wait_for_termination(std::chrono::milliseconds timeout);

}  // namespace da
