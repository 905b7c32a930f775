#include "syscalls/event_json.h"

#include <limits>
#include <optional>
#include <type_traits>

#include "syscalls/syscall_table.h"

namespace da {
namespace {

nlohmann::ordered_json value_to_json(const ArgValue& value) {
  return std::visit([](const auto& v) { return nlohmann::ordered_json(v); }, value);
}

}  // namespace

nlohmann::ordered_json event_to_json(const SyscallEvent& event) {
  const SyscallSpec* spec = find_syscall(event.syscall_nr);
  nlohmann::ordered_json arguments = nlohmann::ordered_json::array();
  for (size_t i = 0; i < event.args.size(); ++i) {
    const bool known = spec && spec->nargs >= 0 && static_cast<int>(i) < spec->nargs;
    arguments.push_back({
        {"name", known ? std::string(spec->args[i].name) : "arg" + std::to_string(i)},
        {"type", known ? std::string(spec->args[i].type) : "unsigned long"},
        {"value", value_to_json(event.args[i])},
    });
  }
  return {
      {"time_ns", event.timestamp_ns},
      {"container_id", event.container_id},
      {"pid", event.pid},
      {"tid", event.tid},
      {"ns_pid", event.ns_pid},
      {"ppid", event.ppid},
      {"uid", event.uid},
      {"comm", event.comm},
      {"exe", event.exe},
      {"name", std::string(syscall_name(event.syscall_nr))},
      {"nr", event.syscall_nr},
      {"arguments", std::move(arguments)},
      {"return", event.ret},
  };
}

namespace {

template <typename T>
bool read_number(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end()) return true;  // optional: stays at its default
  if (!it->is_number_integer()) return false;
  if constexpr (std::is_unsigned_v<T>) {
    if (!it->is_number_unsigned()) return false;
    out = it->get<T>();
  } else {
    const int64_t v = it->get<int64_t>();
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return false;
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return false;
    out = static_cast<T>(v);
  }
  return true;
}

std::optional<ArgValue> value_from_json(const nlohmann::json& v, bool is_signed) {
  if (v.is_string()) return ArgValue(v.get<std::string>());
  if (v.is_array()) {
    std::vector<std::string> strings;
    for (const auto& s : v) {
      if (!s.is_string()) return std::nullopt;
      strings.push_back(s.get<std::string>());
    }
    return ArgValue(std::move(strings));
  }
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (is_signed && u <= static_cast<uint64_t>(INT64_MAX)) return ArgValue(static_cast<int64_t>(u));
    return ArgValue(u);
  }
  if (v.is_number_integer()) return ArgValue(v.get<int64_t>());
  return std::nullopt;
}

}  // namespace

Result<SyscallEvent> event_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return Error{"an event must be a JSON object"};
  SyscallEvent e;
  if (auto nr = j.find("nr"); nr != j.end()) {
    if (!read_number(j, "nr", e.syscall_nr)) return Error{"\"nr\" must be a syscall number"};
  } else if (auto name = j.find("name"); name != j.end() && name->is_string()) {
    auto n = syscall_number(name->get<std::string>());
    if (!n) return Error{"unknown syscall name \"" + name->get<std::string>() + "\""};
    e.syscall_nr = *n;
  } else {
    return Error{"an event needs \"nr\" or \"name\""};
  }
  if (e.syscall_nr < 0 || e.syscall_nr >= kMaxSyscallNr) return Error{"syscall number out of range"};
  if (!read_number(j, "time_ns", e.timestamp_ns) || !read_number(j, "pid", e.pid) ||
      !read_number(j, "tid", e.tid) || !read_number(j, "ns_pid", e.ns_pid) ||
      !read_number(j, "ppid", e.ppid) || !read_number(j, "uid", e.uid) ||
      !read_number(j, "return", e.ret))
    return Error{"time_ns, pid, tid, ns_pid, ppid, uid and return must be integers in range"};
  for (auto [key, field] : {std::pair{"container_id", &e.container_id}, {"comm", &e.comm}, {"exe", &e.exe}}) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    if (!it->is_string()) return Error{std::string("\"") + key + "\" must be a string"};
    *field = it->get<std::string>();
  }
  auto arguments = j.find("arguments");
  if (arguments != j.end()) {
    if (!arguments->is_array() || arguments->size() > 6) return Error{"\"arguments\" must be a list of at most 6"};
    const SyscallSpec* spec = find_syscall(e.syscall_nr);
    for (size_t i = 0; i < arguments->size(); ++i) {
      const auto& a = (*arguments)[i];
      if (!a.is_object() || !a.contains("value")) return Error{"each argument needs a \"value\""};
      const bool is_signed = spec && static_cast<int>(i) < spec->nargs && spec->args[i].kind == ArgKind::kSigned;
      auto v = value_from_json(a["value"], is_signed);
      if (!v) return Error{"argument " + std::to_string(i) + " is neither a number, a string nor a list of strings"};
      e.args.push_back(std::move(*v));
    }
  }
  return e;
}

}  // namespace da
