#pragma once
// Turns a syscall's raw register arguments into typed values: integers with their C signedness,
// paths, execve argv and socket addresses read from the tracee. Shared by every capture backend
// that sees raw arguments.
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/syscall_event.h"
#include "syscalls/syscall_table.h"
#include "syscalls/tracee_memory.h"

namespace da {

struct DecodeLimits {
  size_t max_path = 4096;
  size_t max_argv_entries = 64;
  size_t max_argv_bytes = 16384;
};

// True for syscalls whose string arguments vanish when they succeed (execve replaces the
// memory image): those are decoded at syscall entry, every other one at exit.
bool decode_at_entry(int32_t nr);

std::vector<ArgValue> decode_arguments(const SyscallSpec* spec, const std::array<uint64_t, 6>& raw,
                                       int64_t ret, pid_t tid, TraceeMemory& memory,
                                       const DecodeLimits& limits = {});
// The same into `out`, overwritten in place (what it held is replaced): the per-event path of
// a backend that recycles events (core/event_pool.h) allocates nothing for integers, and a
// path reuses a string buffer an earlier event left.
void decode_arguments_into(std::vector<ArgValue>& out, const SyscallSpec* spec,
                           const std::array<uint64_t, 6>& raw, int64_t ret, pid_t tid,
                           TraceeMemory& memory, const DecodeLimits& limits = {});

// "127.0.0.1:80", "[::1]:443", "/run/x.sock", "@abstract", "family=16"; empty if unreadable.
std::string format_sockaddr(const void* data, size_t len);

}  // namespace da
