#include "syscalls/arg_decoder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace da {
namespace {

ArgValue decode_argv(uint64_t address, pid_t tid, TraceeMemory& memory,
                     const DecodeLimits& limits) {
  std::vector<std::string> argv;
  size_t bytes = 0;
  for (size_t i = 0; i < limits.max_argv_entries; ++i) {
    uint64_t pointer = 0;
    if (!memory.read(tid, address + i * sizeof(uint64_t), &pointer, sizeof pointer)) break;
    if (pointer == 0) break;
    auto s = memory.read_string(tid, pointer, limits.max_path);
    if (!s) break;
    bytes += s->size();
    argv.push_back(std::move(*s));
    if (bytes >= limits.max_argv_bytes) break;
  }
  return argv;
}

ArgValue decode_sockaddr(uint64_t address, uint64_t len, pid_t tid, TraceeMemory& memory) {
  sockaddr_storage storage{};
  len = std::min<uint64_t>(len, sizeof storage);
  if (len == 0 || !memory.read(tid, address, &storage, len)) return address;
  return format_sockaddr(&storage, len);
}

// The kernel sees the low 32 bits of an int argument (-100, AT_FDCWD, stays -100). Which
// signed arguments are that narrow depends only on their C type: judged once per table row
// rather than by comparing type names on every event.
bool is_narrow_signed(std::string_view type) {
  return type == "int" || type == "pid_t" || type == "clockid_t" || type == "key_t" ||
         type == "timer_t" || type == "mqd_t";
}

// Bit i set: argument i of the syscall is a narrow signed integer.
uint8_t narrow_signed_mask(const SyscallSpec& spec) {
  static const std::vector<uint8_t> masks = [] {
    std::vector<uint8_t> m;
    for (const auto& s : all_syscalls()) {
      if (s.nr < 0) continue;
      if (static_cast<size_t>(s.nr) >= m.size()) m.resize(s.nr + 1, 0);
      for (int i = 0; i < s.nargs && i < 6; ++i)
        if (s.args[i].kind == ArgKind::kSigned && is_narrow_signed(s.args[i].type))
          m[s.nr] |= static_cast<uint8_t>(1u << i);
    }
    return m;
  }();
  if (spec.nr >= 0 && static_cast<size_t>(spec.nr) < masks.size() &&
      &spec == find_syscall(spec.nr))
    return masks[spec.nr];
  uint8_t m = 0;  // a row not from the table (tests): judged directly
  for (int i = 0; i < spec.nargs && i < 6; ++i)
    if (spec.args[i].kind == ArgKind::kSigned && is_narrow_signed(spec.args[i].type))
      m |= static_cast<uint8_t>(1u << i);
  return m;
}

}  // namespace

bool decode_at_entry(int32_t nr) {
  static const int32_t execve = syscall_number("execve").value_or(-1);
  static const int32_t execveat = syscall_number("execveat").value_or(-1);
  return nr == execve || nr == execveat;
}

std::string format_sockaddr(const void* data, size_t len) {
  if (len < sizeof(sa_family_t)) return {};
  sa_family_t family;
  std::memcpy(&family, data, sizeof family);
  char text[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in in;
    std::memcpy(&in, data, sizeof in);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(in.sin_port));
  }
  if (family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6;
    std::memcpy(&in6, data, sizeof in6);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6.sin6_port));
  }
  if (family == AF_UNIX) {
    const char* path = static_cast<const char*>(data) + offsetof(sockaddr_un, sun_path);
    size_t path_len = len - offsetof(sockaddr_un, sun_path);
    if (path_len == 0) return "unix:(unnamed)";
    if (path[0] == '\0') return "@" + std::string(path + 1, path_len - 1);  // abstract socket
    return std::string(path, strnlen(path, path_len));
  }
  return "family=" + std::to_string(family);
}

std::vector<ArgValue> decode_arguments(const SyscallSpec* spec, const std::array<uint64_t, 6>& raw,
                                       int64_t ret, pid_t tid, TraceeMemory& memory,
                                       const DecodeLimits& limits) {
  std::vector<ArgValue> out;
  decode_arguments_into(out, spec, raw, ret, tid, memory, limits);
  return out;
}

void decode_arguments_into(std::vector<ArgValue>& out, const SyscallSpec* spec,
                           const std::array<uint64_t, 6>& raw, int64_t ret, pid_t tid,
                           TraceeMemory& memory, const DecodeLimits& limits) {
  out.clear();
  if (!spec || spec->nargs < 0) {
    out.assign(raw.begin(), raw.end());
    return;
  }
  // Room for any call's arguments: a recycled event's list, sized by whatever call it held
  // before, then never grows again.
  out.reserve(6);
  const uint8_t narrow = narrow_signed_mask(*spec);
  for (int i = 0; i < spec->nargs; ++i) {
    const ArgSpec& arg = spec->args[i];
    const uint64_t value = raw[i];
    switch (arg.kind) {
      case ArgKind::kSigned:
        if (narrow & (1u << i))
          out.emplace_back(static_cast<int64_t>(static_cast<int32_t>(value)));
        else
          out.emplace_back(static_cast<int64_t>(value));
        break;
      case ArgKind::kUnsigned:
      case ArgKind::kPointer:
        out.emplace_back(value);
        break;
      case ArgKind::kPath: {
        auto s = memory.read_string(tid, value, limits.max_path);
        if (s) out.emplace_back(std::move(*s));
        else out.emplace_back(value);
        break;
      }
      case ArgKind::kArgv:
        out.push_back(value ? decode_argv(value, tid, memory, limits) : ArgValue(value));
        break;
      case ArgKind::kSockaddrIn:
        // The address length is the next argument (connect, bind, sendto).
        out.push_back(decode_sockaddr(value, i + 1 < spec->nargs ? raw[i + 1] : 0, tid, memory));
        break;
      case ArgKind::kSockaddrOut: {
        int32_t len = 0;
        const bool has_len_pointer = i + 1 < spec->nargs;
        if (ret >= 0 && value && has_len_pointer &&
            memory.read(tid, raw[i + 1], &len, sizeof len) && len > 0)
          out.push_back(decode_sockaddr(value, static_cast<uint64_t>(len), tid, memory));
        else
          out.emplace_back(value);
        break;
      }
    }
  }
}

}  // namespace da
