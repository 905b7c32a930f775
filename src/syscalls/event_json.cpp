#include "syscalls/event_json.h"

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
      {"comm", event.comm},
      {"exe", event.exe},
      {"name", std::string(syscall_name(event.syscall_nr))},
      {"nr", event.syscall_nr},
      {"arguments", std::move(arguments)},
      {"return", event.ret},
  };}

}  // namespace da
