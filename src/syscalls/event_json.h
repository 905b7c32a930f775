#pragma once
// The JSON shape of an event, as `--print-syscalls` and `dump` print it: the original tool's
// {"name": ..., "arguments": [{"name", "type", "value"}]} plus who made the call.
#include <nlohmann/json.hpp>

#include "core/syscall_event.h"

namespace da {

nlohmann::ordered_json event_to_json(const SyscallEvent& event);

}  // namespace da
