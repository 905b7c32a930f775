#pragma once
// Reading a traced process's memory, behind an interface so decoding is unit-tested with a fake.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace da {

class TraceeMemory {
 public:
  virtual ~TraceeMemory() = default;
  // Reads exactly len bytes; false when the address is not readable (or the tracee is gone).
  virtual bool read(pid_t tid, uint64_t address, void* out, size_t len) = 0;
  // Reads a NUL-terminated string of at most max_len bytes (truncated beyond).
  virtual std::optional<std::string> read_string(pid_t tid, uint64_t address, size_t max_len) = 0;
  // The same into `out`, whose buffer a memory that holds the bytes already may reuse; false
  // (and `out` unspecified) when unreadable.
  virtual bool read_string_into(pid_t tid, uint64_t address, size_t max_len, std::string& out) {
    auto s = read_string(tid, address, max_len);
    if (!s) return false;
    out = std::move(*s);
    return true;
  }
};

// process_vm_readv: one syscall per page touched, no ptrace round trip per word.
class ProcessVmMemory final : public TraceeMemory {
 public:
  bool read(pid_t tid, uint64_t address, void* out, size_t len) override;
  std::optional<std::string> read_string(pid_t tid, uint64_t address, size_t max_len) override;
};

}  // namespace da
