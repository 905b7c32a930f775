#pragma once
// The JSON shape of an event, as `--print-syscalls` and `dump` print it: the original tool's
// {"name": ..., "arguments": [{"name", "type", "value"}]} plus who made the call.
#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/syscall_event.h"

namespace da {

nlohmann::ordered_json event_to_json(const SyscallEvent& event);

// The inverse, for recordings (the replay backend): integers take the signedness of the
// argument's kind in the syscall table. Rejects lines that are not events of that shape.
Result<SyscallEvent> event_from_json(const nlohmann::json& j);

}  // namespace da
