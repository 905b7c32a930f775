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

namespace {

// A recycled argument list is overwritten element by element instead of cleared and rebuilt:
// an integer over an integer is a store, and a path lands in a string buffer an earlier event
// left (in the same element, or set aside when an integer took its place). Clearing freed every
// string and the next path allocated again: a tenth of the agent's CPU on a web server's opens.
class ArgumentSlots {
 public:
  // Room for any call's arguments at once: the list then never grows again.
  explicit ArgumentSlots(std::vector<ArgValue>& out) : out_(out) { out_.reserve(6); }
  ~ArgumentSlots() {
    for (size_t i = used_; i < out_.size(); ++i) set_aside(out_[i]);
    out_.resize(used_);
  }
  template <class T>
  void put(T&& value) {
    ArgValue& a = next();
    set_aside(a);
    a = std::forward<T>(value);
  }
  // An element holding a string to fill (its buffer kept); `put` over it if that fails.
  std::string& string() {
    ArgValue& a = next();
    if (auto* s = std::get_if<std::string>(&a)) return *s;
    if (spare().empty()) return a.emplace<std::string>();
    std::string& s = a.emplace<std::string>(std::move(spare().back()));
    spare().pop_back();
    return s;
  }
  void undo_string() { --used_; }

 private:
  ArgValue& next() {
    if (used_ == out_.size()) out_.emplace_back(uint64_t{0});
    return out_[used_++];
  }
  // Per decoding thread: a few buffers between events, never more.
  static std::vector<std::string>& spare() {
    thread_local std::vector<std::string> buffers;
    return buffers;
  }
  static void set_aside(ArgValue& a) {
    auto* s = std::get_if<std::string>(&a);
    if (!s || s->capacity() <= std::string().capacity() || spare().size() >= 16) return;
    spare().push_back(std::move(*s));
  }
  std::vector<ArgValue>& out_;
  size_t used_ = 0;
};

}  // namespace

void decode_arguments_into(std::vector<ArgValue>& out, const SyscallSpec* spec,
                           const std::array<uint64_t, 6>& raw, int64_t ret, pid_t tid,
                           TraceeMemory& memory, const DecodeLimits& limits) {
  ArgumentSlots slots(out);
  if (!spec || spec->nargs < 0) {
    for (uint64_t value : raw) slots.put(value);
    return;
  }
  const uint8_t narrow = narrow_signed_mask(*spec);
  for (int i = 0; i < spec->nargs; ++i) {
    const ArgSpec& arg = spec->args[i];
    const uint64_t value = raw[i];
    switch (arg.kind) {
      case ArgKind::kSigned:
        if (narrow & (1u << i))
          slots.put(static_cast<int64_t>(static_cast<int32_t>(value)));
        else
          slots.put(static_cast<int64_t>(value));
        break;
      case ArgKind::kUnsigned:
      case ArgKind::kPointer:
        slots.put(value);
        break;
      case ArgKind::kPath:
        if (!memory.read_string_into(tid, value, limits.max_path, slots.string())) {
          slots.undo_string();
          slots.put(value);
        }
        break;
      case ArgKind::kArgv:
        slots.put(value ? decode_argv(value, tid, memory, limits) : ArgValue(value));
        break;
      case ArgKind::kSockaddrIn:
        // The address length is the next argument (connect, bind, sendto).
        slots.put(decode_sockaddr(value, i + 1 < spec->nargs ? raw[i + 1] : 0, tid, memory));
        break;
      case ArgKind::kSockaddrOut: {
        int32_t len = 0;
        const bool has_len_pointer = i + 1 < spec->nargs;
        if (ret >= 0 && value && has_len_pointer &&
            memory.read(tid, raw[i + 1], &len, sizeof len) && len > 0)
          slots.put(decode_sockaddr(value, static_cast<uint64_t>(len), tid, memory));
        else
          slots.put(value);
        break;
      }
    }
  }
}

}  // namespace da
