#include "syscalls/tracee_memory.h"

#include <sys/uio.h>

#include <cstring>

#include "core/syscall_event.h"

namespace da {

bool ProcessVmMemory::read(pid_t tid, uint64_t address, void* out, size_t len) {
  if (address == 0) return false;
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(address), len};
  return process_vm_readv(tid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

std::optional<std::string> ProcessVmMemory::read_string(pid_t tid, uint64_t address,
                                                        size_t max_len) {
  if (address == 0) return std::nullopt;
  constexpr uint64_t kPage = 4096;
  std::string result;
  char chunk[kPage];
  // Read up to each page boundary separately: the next page may be unmapped even though the
  // string ends before it.
  while (result.size() < max_len) {
    size_t want = kPage - (address % kPage);
    want = std::min<size_t>(want, max_len - result.size());
    iovec local{chunk, want};
    iovec remote{reinterpret_cast<void*>(address), want};
    ssize_t got = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (got <= 0) return result.empty() ? std::nullopt : std::optional<std::string>(result);
    const void* nul = std::memchr(chunk, '\0', static_cast<size_t>(got));
    if (nul) {
      result.append(chunk, static_cast<const char*>(nul) - chunk);
      return result;
    }
    result.append(chunk, static_cast<size_t>(got));
    address += static_cast<uint64_t>(got);
  }
  return result + std::string(kTruncatedMark);  // no end within max_len
}

}  // namespace da
