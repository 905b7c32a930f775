#include "transport/redis_shard_source.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <thread>

#include "transport/redis_command.h"
#include "transport/stream_shards.h"

namespace da {
namespace {

using redis::ReplyPtr;

// Renews our lease; takes it again if it vanished (Redis restarted without its data: nobody
// else holds it, and our state is intact). 1 renewed, 2 taken again, 0 someone else holds it.
constexpr const char* kRenewScript = R"(
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0)";

// Expires the lease at once rather than DEL: detectors need no right to delete keys.
constexpr const char* kReleaseScript = R"(
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], 1) end
return 0)";

// The checkpoint, fenced by the lease: a holder that lost its lease (paused, cut off) cannot
// overwrite what the next holder saves. KEYS: lease, checkpoint, profiles. ARGV: holder, the
// last handled entry, the lease time, then field/value pairs of changed state.
constexpr const char* kCheckpointScript = R"(
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 4, #ARGV, 2 do redis.call('hset', KEYS[3], ARGV[i], ARGV[i + 1]) end
redis.call('set', KEYS[2], ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[3])
return 1)";

bool after(const std::string& a, const std::string& b) { return redis::stream_id(a) > redis::stream_id(b); }

}  // namespace

RedisShardSource::RedisShardSource(RedisUrl url, ShardedReadOptions options, RedisContextPtr c,
                                   ShardStateKeeper& keeper, Log log)
    : url_(std::move(url)), options_(std::move(options)), context_(std::move(c)), keeper_(keeper),
      log_(std::move(log)) {
  for (uint32_t k = 0; k < options_.shards; ++k)
    shard_by_stream_[shard_stream(options_.stream, k, options_.shards)] = k;
}

Result<std::unique_ptr<RedisShardSource>> RedisShardSource::create(const RedisUrl& url,
                                                                   ShardedReadOptions options,
                                                                   ShardStateKeeper& keeper, Log log) {
  if (options.shards < 1 || options.shards > kMaxShards)
    return Error{"the number of stream shards must be 1 to " + std::to_string(kMaxShards), ErrorCause::kInvalid};
  if (options.lease < std::chrono::milliseconds(500))
    return Error{"a shard lease must last at least 500 ms", ErrorCause::kInvalid};
  auto c = connect_redis(url);
  if (!c) return c.error();
  std::unique_ptr<RedisShardSource> source(
      new RedisShardSource(url, std::move(options), std::move(*c), keeper, std::move(log)));
  // Refused here rather than at the first read: a user without the rights sees it at start.
  if (auto s = source->ensure_group(shard_stream(source->options_.stream, 0, source->options_.shards)); !s)
    return s.error();
  return source;
}

Status RedisShardSource::ensure_group(const std::string& stream) {
  ReplyPtr r = redis::command(context_.get(), {"XGROUP", "CREATE", stream, options_.group, "0", "MKSTREAM"});
  if (!r) return Error{"Redis XGROUP CREATE failed: " + redis::context_error(context_.get())};
  if (r->type == REDIS_REPLY_ERROR && redis::text(r.get()).find("BUSYGROUP") == std::string::npos)
    return Error{"Redis XGROUP CREATE on " + stream + " failed: " + redis::text(r.get())};
  return ok_status();
}

std::string RedisShardSource::describe() const {
  return "Redis stream " + options_.stream + " (" + std::to_string(options_.shards) +
         (options_.shards == 1 ? " shard" : " shards") + ", group " + options_.group + ") at " +
         url_.redacted();
}

ShardSourceStats RedisShardSource::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

// Membership, lease renewal and rebalancing: about four times per lease period.
Status RedisShardSource::maintain() {
  redisContext* c = context_.get();
  ReplyPtr time = redis::command(c, {"TIME"});  // Redis's clock: detectors' clocks may differ
  if (redis::is_error(time) || time->elements != 2)
    return Error{"Redis TIME failed: " + redis::error_of(c, time)};
  const long long now_ms = std::stoll(redis::text(time->element[0])) * 1000 +
                           std::stoll(redis::text(time->element[1])) / 1000;
  const std::string members = detectors_key(options_.stream);
  const std::string lease_ms = std::to_string(options_.lease.count());
  ReplyPtr add = redis::command(c, {"ZADD", members, std::to_string(now_ms + options_.lease.count()), options_.consumer});
  if (redis::is_error(add)) return Error{"Redis ZADD " + members + " failed: " + redis::error_of(c, add)};
  redis::command(c, {"ZREMRANGEBYSCORE", members, "-inf", std::to_string(now_ms)});
  ReplyPtr count = redis::command(c, {"ZCARD", members});
  if (redis::is_error(count)) return Error{"Redis ZCARD failed: " + redis::error_of(c, count)};
  const int live = std::max<int>(1, static_cast<int>(count->integer));

  for (auto it = held_.begin(); it != held_.end();) {
    const uint32_t k = (it++)->first;
    Shard& shard = held_.at(k);
    ReplyPtr r = redis::command(c, {"EVAL", kRenewScript, "1", shard_lease_key(shard.stream), options_.consumer, lease_ms});
    if (redis::is_error(r)) return Error{"Redis lease renewal failed: " + redis::error_of(c, r)};
    if (r->integer == 0) {
      lose(k, "another detector holds its lease now (ours expired: were we paused or cut off?)");
    } else if (r->integer == 2) {
      log_(LogLevel::kWarning, "the lease of " + shard.stream + " had vanished (Redis restarted without its data?); "
           "holding it again, and saving its whole state at the next checkpoint");
      shard.rewrite_all = true;
      if (auto s = ensure_group(shard.stream); !s) return s;
    }
  }

  const size_t fair = (options_.shards + live - 1) / live;
  // Hand back the surplus (the highest-numbered first), checkpointed, so a newcomer gets work.
  while (held_.size() > fair) hand_back(held_.rbegin()->first);
  if (held_.size() < fair) {
    // Start where this detector's name points, so detectors starting together try different shards.
    const uint32_t start = shard_of(options_.consumer, options_.shards);
    for (uint32_t i = 0; i < options_.shards && held_.size() < fair; ++i) {
      const uint32_t k = (start + i) % options_.shards;
      if (held_.count(k)) continue;
      const std::string stream = shard_stream(options_.stream, k, options_.shards);
      ReplyPtr r = redis::command(c, {"SET", shard_lease_key(stream), options_.consumer, "NX", "PX", lease_ms});
      if (redis::is_error(r)) return Error{"Redis SET NX (lease) failed: " + redis::error_of(c, r)};
      if (r->type == REDIS_REPLY_STATUS) {
        if (auto s = take(k); !s) {
          redis::command(c, {"EVAL", kReleaseScript, "1", shard_lease_key(stream), options_.consumer});
          held_.erase(k);
          return s;
        }
      }
    }
  }
  std::lock_guard lock(stats_mutex_);
  stats_.live_detectors = live;
  stats_.held.clear();
  for (const auto& [k, shard] : held_) stats_.held.push_back(k);
  return ok_status();
}

// The lease is ours: load the shard's state, then claim what a previous holder left pending.
Status RedisShardSource::take(uint32_t index) {
  redisContext* c = context_.get();
  Shard shard;
  shard.index = index;
  shard.stream = shard_stream(options_.stream, index, options_.shards);
  if (auto s = ensure_group(shard.stream); !s) return s;
  ReplyPtr checkpoint = redis::command(c, {"GET", shard_checkpoint_key(shard.stream)});
  if (redis::is_error(checkpoint)) return Error{"Redis GET checkpoint failed: " + redis::error_of(c, checkpoint)};
  if (checkpoint->type == REDIS_REPLY_STRING) shard.checkpoint = redis::text(checkpoint.get());
  ReplyPtr saved = redis::command(c, {"HGETALL", shard_profiles_key(shard.stream)});
  if (redis::is_error(saved)) return Error{"Redis HGETALL failed: " + redis::error_of(c, saved)};
  ShardState state;
  for (size_t i = 0; i + 1 < saved->elements; i += 2)
    state.emplace(redis::text(saved->element[i]), redis::text(saved->element[i + 1]));
  // Every pending entry of the group becomes ours (the previous holder is gone or lost its
  // lease); JUSTID: claiming moves ids only, the entries are read below.
  std::string cursor = "0-0";
  do {
    ReplyPtr r = redis::command(c, {"XAUTOCLAIM", shard.stream, options_.group, options_.consumer, "0",
                                    cursor, "COUNT", "1000", "JUSTID"});
    if (redis::is_error(r) || r->elements < 2) return Error{"Redis XAUTOCLAIM failed: " + redis::error_of(c, r)};
    cursor = redis::text(r->element[0]);
  } while (cursor != "0-0");
  shard.recovering = true;
  shard.handled = shard.checkpoint;
  const size_t profiles = state.size();
  keeper_.adopt_shard(index, std::move(state));
  log_(LogLevel::kInfo, "holding " + shard.stream + " (" + std::to_string(profiles) + " saved profiles, checkpoint " +
       shard.checkpoint + ")");
  held_.emplace(index, std::move(shard));
  std::lock_guard lock(stats_mutex_);
  ++stats_.taken;
  return ok_status();
}

void RedisShardSource::lose(uint32_t index, const std::string& why) {
  log_(LogLevel::kWarning, "lost " + held_.at(index).stream + ": " + why + "; its unsaved work is handled again by the next holder");
  keeper_.release_shard(index);
  held_.erase(index);
  std::lock_guard lock(stats_mutex_);
  ++stats_.lost;
}

void RedisShardSource::hand_back(uint32_t index) {
  Shard& shard = held_.at(index);
  if (auto s = checkpoint(shard); !s) log_(LogLevel::kWarning, s.error().message);
  if (!held_.count(index)) return;  // the checkpoint found the lease lost
  redis::command(context_.get(), {"EVAL", kReleaseScript, "1", shard_lease_key(shard.stream), options_.consumer});
  log_(LogLevel::kInfo, "handed " + shard.stream + " back (checkpoint " + shard.checkpoint + ")");
  keeper_.release_shard(index);
  held_.erase(index);
  std::lock_guard lock(stats_mutex_);
  ++stats_.handed_back;
}

Status RedisShardSource::checkpoint(Shard& shard) {
  ShardState changed = keeper_.changed_state(shard.index, shard.rewrite_all);
  for (auto& [key, bytes] : changed) shard.unsaved[key] = std::move(bytes);
  if (shard.unsaved.empty() && shard.to_ack.empty() && !shard.rewrite_all) return ok_status();
  redisContext* c = context_.get();
  std::vector<std::string> args{"EVAL", kCheckpointScript, "3", shard_lease_key(shard.stream),
                                shard_checkpoint_key(shard.stream), shard_profiles_key(shard.stream),
                                options_.consumer, shard.handled, std::to_string(options_.lease.count())};
  for (const auto& [key, bytes] : shard.unsaved) {
    args.push_back(key);
    args.push_back(bytes);
  }
  ReplyPtr r = redis::command(c, args);
  if (redis::is_error(r)) {
    if (!r) context_.reset();
    return Error{"Redis checkpoint of " + shard.stream + " failed: " + redis::error_of(c, r) + " (kept, tried again)"};
  }
  if (r->integer == 0) {
    lose(shard.index, "its lease expired before the checkpoint");
    return ok_status();
  }
  shard.unsaved.clear();
  shard.rewrite_all = false;
  shard.checkpoint = shard.handled;
  if (!shard.to_ack.empty()) {
    std::vector<std::string> ack{"XACK", shard.stream, options_.group};
    ack.insert(ack.end(), shard.to_ack.begin(), shard.to_ack.end());
    // A failed XACK loses nothing: the entries stay pending, and a next holder skips them as
    // covered by the checkpoint.
    ReplyPtr a = redis::command(c, ack);
    if (!redis::is_error(a)) shard.to_ack.clear();
  }
  keeper_.checkpoint_committed(shard.index);
  std::lock_guard lock(stats_mutex_);
  ++stats_.checkpoints;
  return ok_status();
}

Status RedisShardSource::checkpoint_all() {
  for (auto it = held_.begin(); it != held_.end();) {
    Shard& shard = (it++)->second;  // checkpoint() may erase it (lease lost)
    if (auto s = checkpoint(shard); !s) return s;
  }
  return ok_status();
}

Status RedisShardSource::hand_back_all() {
  if (auto s = redis::ensure_connected(context_, url_); !s) return s;
  while (!held_.empty()) hand_back(held_.begin()->first);
  redis::command(context_.get(), {"ZREM", detectors_key(options_.stream), options_.consumer});
  return ok_status();
}

Status RedisShardSource::acknowledge(const std::vector<TransportMessage>& messages) {
  for (const auto& m : messages) {
    auto it = held_.find(m.shard);
    if (it == held_.end()) continue;  // lost meanwhile: the next holder handles it again
    it->second.to_ack.push_back(m.id);
    if (after(m.id, it->second.handled)) it->second.handled = m.id;
  }
  return ok_status();
}

void RedisShardSource::collect(redisReply* reply, std::vector<TransportMessage>& out) {
  // [[stream, [[id, [field, value, ...]], ...]], ...]
  for (size_t s = 0; s < reply->elements; ++s) {
    redisReply* stream = reply->element[s];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) continue;
    auto shard = shard_by_stream_.find(redis::text(stream->element[0]));
    if (shard == shard_by_stream_.end()) continue;
    redisReply* entries = stream->element[1];
    for (size_t e = 0; e < entries->elements; ++e) {
      redisReply* entry = entries->element[e];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
      TransportMessage m;
      m.id = redis::text(entry->element[0]);
      m.shard = shard->second;
      redisReply* fields = entry->element[1];
      // A trimmed entry (its id pending, its data gone) or one without a batch is handed on
      // empty: the consumer counts it malformed and acknowledges it like any other.
      for (size_t f = 0; fields->type == REDIS_REPLY_ARRAY && f + 1 < fields->elements; f += 2)
        if (redis::text(fields->element[f]) == "batch") m.bytes = redis::text(fields->element[f + 1]);
      out.push_back(std::move(m));
    }
  }
}

// Entries claimed from a previous holder (our pending list), oldest first.
Result<std::vector<TransportMessage>> RedisShardSource::read_claimed(Shard& shard) {
  redisContext* c = context_.get();
  ReplyPtr r = redis::command(c, {"XREADGROUP", "GROUP", options_.group, options_.consumer, "COUNT",
                                  std::to_string(options_.count_per_read), "STREAMS", shard.stream,
                                  shard.recover_after});
  if (redis::is_error(r)) {
    if (!r) context_.reset();
    return Error{"Redis read of claimed entries from " + shard.stream + " failed: " + redis::error_of(c, r)};
  }
  std::vector<TransportMessage> read, out;
  if (r->type == REDIS_REPLY_ARRAY) collect(r.get(), read);
  if (read.empty()) {
    shard.recovering = false;
    return out;
  }
  shard.recover_after = read.back().id;
  for (auto& m : read) {
    if (after(m.id, shard.checkpoint)) {
      out.push_back(std::move(m));
    } else {
      shard.to_ack.push_back(m.id);  // its effects are in the saved state already
    }
  }
  std::lock_guard lock(stats_mutex_);
  stats_.reclaimed += out.size();
  stats_.skipped += read.size() - out.size();
  return out;
}

Result<std::vector<TransportMessage>> RedisShardSource::read_new(std::chrono::milliseconds timeout) {
  redisContext* c = context_.get();
  std::vector<std::string> args{"XREADGROUP", "GROUP", options_.group, options_.consumer,
                                "COUNT", std::to_string(options_.count_per_read), "BLOCK",
                                std::to_string(std::max<long long>(1, timeout.count())), "STREAMS"};
  for (const auto& [k, shard] : held_) args.push_back(shard.stream);
  for (size_t i = 0; i < held_.size(); ++i) args.push_back(">");
  ReplyPtr r = redis::command(c, args);
  if (!r) {
    std::string why = redis::context_error(c);
    context_.reset();
    return Error{"Redis read from " + options_.stream + " failed: " + why};
  }
  std::vector<TransportMessage> out;
  if (r->type == REDIS_REPLY_ERROR) {
    const std::string why = redis::text(r.get());
    // A Redis restarted without persistence has lost the groups: create them again.
    if (why.rfind("NOGROUP", 0) == 0) {
      for (const auto& [k, shard] : held_)
        if (auto s = ensure_group(shard.stream); !s) return s.error();
      return Error{"Redis lost the consumer group " + options_.group + " (restarted without " +
                   "persistence?); created it again, reading on"};
    }
    return Error{"Redis read failed: " + why};
  }
  if (r->type == REDIS_REPLY_ARRAY) collect(r.get(), out);
  return out;
}

Result<std::vector<TransportMessage>> RedisShardSource::poll(std::chrono::milliseconds timeout) {
  if (auto s = redis::ensure_connected(context_, url_); !s) return s.error();
  const auto now = std::chrono::steady_clock::now();
  if (now - last_maintain_ >= options_.lease / 4) {
    last_maintain_ = now;
    if (auto s = maintain(); !s) return s.error();
  }
  if (now - last_checkpoint_ >= options_.checkpoint) {
    last_checkpoint_ = last_urgent_ = now;
    if (auto s = checkpoint_all(); !s) return s.error();
  } else if (now - last_urgent_ >= options_.urgent_checkpoint) {
    // Alerts wait for their checkpoint: a held one should not wait for the regular interval.
    last_urgent_ = now;
    for (auto it = held_.begin(); it != held_.end();) {
      Shard& shard = (it++)->second;
      if (keeper_.awaits_checkpoint(shard.index))
        if (auto s = checkpoint(shard); !s) return s.error();
    }
  }
  if (held_.empty()) {  // a standby: every shard is held by another detector
    std::this_thread::sleep_for(std::min(timeout, options_.lease / 4));
    return std::vector<TransportMessage>{};
  }
  for (auto& [k, shard] : held_)
    if (shard.recovering) return read_claimed(shard);
  // With an alert held, wake up in time for its checkpoint even if no entry comes.
  bool waiting = false;
  for (const auto& [k, shard] : held_) waiting |= keeper_.awaits_checkpoint(k);
  return read_new(std::min(timeout, waiting ? options_.urgent_checkpoint : options_.checkpoint));
}

}  // namespace da
