#include "syscalls/syscall_table.h"

#include <array>
#include <string>
#include <unordered_map>

namespace da {
namespace {

constexpr SyscallSpec kTable[] = {
#include "syscalls/syscall_table_x86_64.inc"
};

struct I386Name {
  int32_t nr;
  std::string_view name;
};
constexpr I386Name kI386Names[] = {
#include "syscalls/syscall_names_i386.inc"
};

// Direct index by number: the per-event lookup is one bounds check and one load.
const std::array<const SyscallSpec*, kMaxSyscallNr>& by_number() {
  static const auto index = [] {
    std::array<const SyscallSpec*, kMaxSyscallNr> a{};
    for (const auto& s : kTable)
      if (s.nr >= 0 && s.nr < kMaxSyscallNr) a[s.nr] = &s;
    return a;
  }();
  return index;
}

const std::array<std::string, kMaxSyscallNr>& unknown_names() {
  static const auto names = [] {
    std::array<std::string, kMaxSyscallNr> a;
    for (int i = 0; i < kMaxSyscallNr; ++i) a[i] = "syscall_" + std::to_string(i);
    return a;
  }();
  return names;
}

}  // namespace

const SyscallSpec* find_syscall(int32_t nr) {
  if (nr < 0 || nr >= kMaxSyscallNr) return nullptr;
  return by_number()[nr];
}

std::optional<int32_t> syscall_number(std::string_view name) {
  static const auto index = [] {
    std::unordered_map<std::string_view, int32_t> m;
    for (const auto& s : kTable) m.emplace(s.name, s.nr);
    return m;
  }();
  auto it = index.find(name);
  if (it == index.end()) return std::nullopt;
  return it->second;
}

std::string_view syscall_name(int32_t nr) {
  if (const auto* spec = find_syscall(nr)) return spec->name;
  if (nr >= 0 && nr < kMaxSyscallNr) return unknown_names()[nr];
  return "syscall_unknown";
}

std::string_view i386_syscall_name(int32_t nr) {
  static const auto index = [] {
    std::array<std::string_view, kMaxSyscallNr> a{};
    for (const auto& s : kI386Names)
      if (s.nr >= 0 && s.nr < kMaxSyscallNr) a[s.nr] = s.name;
    return a;
  }();
  if (nr < 0 || nr >= kMaxSyscallNr) return {};
  return index[nr];
}

std::span<const SyscallSpec> all_syscalls() { return kTable; }

}  // namespace da
