#pragma once
// What a partitioned source (redis_shard_source.h) asks of whoever keeps state per shard — the
// detection side, whose profiles move between detectors with their shard. Called on the
// consumer thread only, between polls, so the state never changes under a checkpoint.
#include <cstdint>
#include <map>
#include <string>

namespace da {

// A shard's saved state: image id -> encoded profile (the state dir's format).
using ShardState = std::map<std::string, std::string>;

class ShardStateKeeper {
 public:
  virtual ~ShardStateKeeper() = default;
  // The shard is ours now: its state as of its last checkpoint. Its events follow.
  virtual void adopt_shard(uint32_t shard, ShardState saved) = 0;
  // What changed in the shard since the last call (or since adopt_shard; all of it with
  // `everything`): saved with the checkpoint, in one atomic step with the position up to which
  // events were handled.
  virtual ShardState changed_state(uint32_t shard, bool everything) = 0;
  // Something waits for the shard's next checkpoint (an alert): checkpointed soon, not at the
  // regular interval.
  virtual bool awaits_checkpoint(uint32_t shard) const = 0;
  // The checkpoint holds everything handled up to now: what was held back until it is durable
  // (alerts) may leave.
  virtual void checkpoint_committed(uint32_t shard) = 0;
  // The shard is no longer ours (handed over, or its lease lost): forget its state and drop
  // what was held back — the next holder handles those events again from the checkpoint.
  virtual void release_shard(uint32_t shard) = 0;
};

}  // namespace da
