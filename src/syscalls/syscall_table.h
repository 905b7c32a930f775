#pragma once
// x86_64 syscall table, generated from kernel data by tools/gen_syscall_table.py: one row per
// syscall with its argument names, C types and how to decode each. Serves ptrace and eBPF alike.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace da {

enum class ArgKind : uint8_t {
  kSigned,       // plain signed integer
  kUnsigned,     // plain unsigned integer (sizes, flags, unsigned fds)
  kPointer,      // address; not dereferenced (buffers are never read)
  kPath,         // NUL-terminated path read from the tracee
  kArgv,         // NULL-terminated vector of strings (execve argv)
  kSockaddrIn,   // socket address given to the kernel (connect, bind, sendto)
  kSockaddrOut,  // socket address returned by the kernel (accept, getpeername...)
};

struct ArgSpec {
  std::string_view name;
  std::string_view type;
  ArgKind kind;
};

struct SyscallSpec {
  int32_t nr;
  std::string_view name;
  int32_t nargs;  // -1 when the kernel has no trace event for it: 6 raw arguments
  ArgSpec args[6];
};

constexpr int kMaxSyscallNr = 1024;

// nullptr for numbers the table does not know.
const SyscallSpec* find_syscall(int32_t nr);
std::optional<int32_t> syscall_number(std::string_view name);
// "syscall_<nr>" for unknown numbers.
std::string_view syscall_name(int32_t nr);
// Names of the i386 ABI (the ADFA-LD dataset's); empty for unknown numbers.
std::string_view i386_syscall_name(int32_t nr);
std::span<const SyscallSpec> all_syscalls();

}  // namespace da
