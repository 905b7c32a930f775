#pragma once
// The msgpack wire format of event batches (docs/wire-format.md): what travels through every
// transport, in-process or Redis. Versioned; decoding rejects malformed input with a message.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/container_meta.h"
#include "core/result.h"
#include "core/syscall_event.h"

namespace da {

constexpr uint32_t kWireFormatVersion = 1;

struct EventBatch {
  std::string host;      // hostname of the agent that captured the batch
  std::string agent_id;  // unique per agent process, so consumers can tell agents apart
  uint64_t sequence = 0; // per-agent batch counter: gaps mean lost batches
  std::vector<SyscallEvent> events;
  // Metadata of the containers the events belong to (absent for host commands).
  ContainerDirectory containers;
  uint64_t lost = 0;  // syscalls this agent failed to capture or ship so far (cumulative)
};

std::string encode_batch(const EventBatch& batch);
Result<EventBatch> decode_batch(std::string_view bytes);

}  // namespace da
