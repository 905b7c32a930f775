#pragma once
// The detectors' side of a partitioned Redis stream (issue 13). Each shard (stream_shards.h) is
// held by one detector at a time through a lease in Redis (SET NX PX, renewed, fenced by a
// script), so every event of an image reaches one detector. Detectors announce themselves in a
// sorted set with an expiry; each holds about shards / detectors, so adding one spreads the
// load and a dead one's shards are taken over once its leases expire.
//
// No event is lost or handled twice across a hand-over: entries are acknowledged only by a
// checkpoint, which saves — in one fenced script — the position and the shard's changed state
// (the profiles, ShardStateKeeper). The next holder loads that state, claims the previous
// holder's pending entries (XAUTOCLAIM), skips those the checkpoint covers, and handles the rest.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/console.h"
#include "transport/event_transport.h"
#include "transport/redis_stream.h"
#include "transport/shard_state.h"

struct redisReply;  // hiredis, used only inside the .cpp

namespace da {

struct ShardedReadOptions {
  std::string stream = kDefaultStream;
  uint32_t shards = 1;
  std::string group;     // the consumer group on every shard
  std::string consumer;  // this detector: the lease holder's name and the group consumer
  std::chrono::milliseconds lease{10000};      // a dead holder's shards move after this
  std::chrono::milliseconds checkpoint{1000};  // how often handled entries are made durable
  // ...and how soon when something waits for it (an alert is held until its checkpoint).
  std::chrono::milliseconds urgent_checkpoint{20};
  int count_per_read = 64;
};

struct ShardSourceStats {
  std::vector<uint32_t> held;  // shards held now
  uint64_t taken = 0, handed_back = 0, lost = 0;  // leases acquired, released, lost
  uint64_t checkpoints = 0;
  uint64_t reclaimed = 0;  // entries claimed from a previous holder and handled again
  uint64_t skipped = 0;    // claimed entries the checkpoint already covered
  int live_detectors = 0;
};

class RedisShardSource final : public BatchSource {
 public:
  using Log = std::function<void(LogLevel, const std::string&)>;
  static Result<std::unique_ptr<RedisShardSource>> create(const RedisUrl& url,
                                                          ShardedReadOptions options,
                                                          ShardStateKeeper& keeper, Log log);
  // Also renews leases, rebalances and checkpoints when they are due.
  Result<std::vector<TransportMessage>> poll(std::chrono::milliseconds timeout) override;
  // Handled: acknowledged in Redis by the next checkpoint, not before.
  Status acknowledge(const std::vector<TransportMessage>& messages) override;
  std::string describe() const override;
  // A clean stop: checkpoints every shard held and hands it back, so others take over at once.
  Status hand_back_all();
  ShardSourceStats stats() const;

 private:
  struct Shard {
    uint32_t index = 0;
    std::string stream;
    std::string checkpoint = "0-0";  // entries up to here are saved in the shard's state
    std::string handled;             // last entry handled (acknowledged by the consumer)
    std::vector<std::string> to_ack;  // handled since the checkpoint
    ShardState unsaved;               // changed state a failed checkpoint still has to save
    bool rewrite_all = false;         // Redis lost the shard's keys: save the whole state
    bool recovering = false;          // still reading entries claimed from a previous holder
    std::string recover_after = "0-0";
  };
  RedisShardSource(RedisUrl url, ShardedReadOptions options, RedisContextPtr c,
                   ShardStateKeeper& keeper, Log log);
  Status maintain();
  Status take(uint32_t index);
  Status checkpoint(Shard& shard);
  Status checkpoint_all();
  void hand_back(uint32_t index);
  void lose(uint32_t index, const std::string& why);
  Status ensure_group(const std::string& stream);
  Result<std::vector<TransportMessage>> read_claimed(Shard& shard);
  Result<std::vector<TransportMessage>> read_new(std::chrono::milliseconds timeout);
  void collect(redisReply* streams_reply, std::vector<TransportMessage>& out);

  RedisUrl url_;
  ShardedReadOptions options_;
  RedisContextPtr context_;
  ShardStateKeeper& keeper_;
  Log log_;
  std::map<uint32_t, Shard> held_;
  std::map<std::string, uint32_t> shard_by_stream_;
  std::chrono::steady_clock::time_point last_maintain_{}, last_checkpoint_{}, last_urgent_{};
  mutable std::mutex stats_mutex_;  // stats() is read by the metrics thread
  ShardSourceStats stats_;
};

}  // namespace da
