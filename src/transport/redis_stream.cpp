#include "transport/redis_stream.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <map>

#include "transport/redis_command.h"
#include "transport/stream_shards.h"

namespace da {

void RedisContextDeleter::operator()(redisContext* c) const { redisFree(c); }

namespace {

using redis::ReplyPtr;
using redis::context_error;
using redis::ensure_connected;
ReplyPtr command_argv(redisContext* c, const std::vector<std::string>& args) { return redis::command(c, args); }

}  // namespace

Result<RedisContextPtr> connect_redis(const RedisUrl& url) {
  timeval timeout{5, 0};
  RedisContextPtr c(redisConnectWithTimeout(url.host.c_str(), url.port, timeout));
  if (!c) return Error{"cannot allocate a Redis context"};
  if (c->err)
    return Error{"cannot reach Redis at " + url.redacted() + ": " + c->errstr +
                 " — is redis-server running and listening there?"};
  // Commands wait at most this long, so a dead server is noticed rather than hanging capture.
  timeval command_timeout{10, 0};
  redisSetTimeout(c.get(), command_timeout);
  if (!url.password.empty()) {
    ReplyPtr r = url.user.empty() ? command_argv(c.get(), {"AUTH", url.password})
                                  : command_argv(c.get(), {"AUTH", url.user, url.password});
    if (!r || r->type == REDIS_REPLY_ERROR)
      return Error{"Redis authentication failed at " + url.redacted() + ": " +
                   (r ? std::string(r->str) : context_error(c.get()))};
  }
  if (url.db != 0) {
    ReplyPtr r = command_argv(c.get(), {"SELECT", std::to_string(url.db)});
    if (!r || r->type == REDIS_REPLY_ERROR)
      return Error{"Redis SELECT " + std::to_string(url.db) + " failed: " +
                   (r ? std::string(r->str) : context_error(c.get()))};
  }
  return c;
}

Result<std::unique_ptr<RedisStreamPublisher>> RedisStreamPublisher::create(const RedisUrl& url,
                                                                           std::string stream,
                                                                           long long max_length,
                                                                           uint32_t shards) {
  if (shards < 1 || shards > kMaxShards)
    return Error{"the number of stream shards must be 1 to " + std::to_string(kMaxShards),
                 ErrorCause::kInvalid};
  auto c = connect_redis(url);
  if (!c) return c.error();
  return std::unique_ptr<RedisStreamPublisher>(
      new RedisStreamPublisher(url, std::move(stream), max_length, shards, std::move(*c)));
}

// Encoded again on a retry: retries are rare and seconds apart, and the batch stays the one copy.
Status RedisStreamPublisher::publish(EventBatch& batch) {
  return shards_ <= 1 ? publish_bytes(encode_batch(batch)) : publish_sharded(batch);
}

Status RedisStreamPublisher::publish_sharded(const EventBatch& batch) {
  // One part per shard the batch touches; each part carries the batch's host, agent, sequence
  // and losses, and the metadata of its own containers only.
  std::map<uint32_t, EventBatch> parts;
  for (const auto& e : batch.events) {
    auto meta = batch.containers.find(e.container_id);
    const std::string_view image =
        meta == batch.containers.end() ? std::string_view() : std::string_view(meta->second.image_id);
    EventBatch& part = parts[shard_of(image, shards_)];
    if (part.events.empty()) {
      part.host = batch.host;
      part.agent_id = batch.agent_id;
      part.sequence = batch.sequence;
      part.lost = batch.lost;
    }
    part.events.push_back(e);
    if (meta != batch.containers.end()) part.containers.insert(*meta);
  }
  if (parts.empty()) parts[0] = EventBatch{batch.host, batch.agent_id, batch.sequence, {}, {}, batch.lost};
  if (auto s = ensure_connected(context_, url_); !s) return s;
  // Pipelined: MULTI, one XADD per part, EXEC; only EXEC's answer says whether they were added.
  const std::string max_length = std::to_string(max_length_);
  std::vector<std::vector<std::string>> commands{{"MULTI"}};
  for (const auto& [shard, part] : parts)
    commands.push_back({"XADD", shard_stream(stream_, shard, shards_), "MAXLEN", "~", max_length,
                        "*", "batch", encode_batch(part)});
  commands.push_back({"EXEC"});
  for (const auto& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    redisAppendCommandArgv(context_.get(), static_cast<int>(args.size()), argv.data(), lengths.data());
  }
  ReplyPtr exec;
  for (size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(context_.get(), &reply) != REDIS_OK) {
      std::string why = context_error(context_.get());
      context_.reset();
      return Error{"Redis MULTI/XADD to the shards of " + stream_ + " failed: " + why};
    }
    ReplyPtr r(static_cast<redisReply*>(reply));
    if (i == commands.size() - 1) exec = std::move(r);
  }
  if (exec->type == REDIS_REPLY_ERROR)
    return Error{"Redis XADD to the shards of " + stream_ + " failed: " + std::string(exec->str)};
  if (exec->type != REDIS_REPLY_ARRAY)
    return Error{"Redis EXEC did not add the batch to the shards of " + stream_};
  for (size_t i = 0; i < exec->elements; ++i)
    if (exec->element[i]->type == REDIS_REPLY_ERROR)
      return Error{"Redis XADD failed: " + std::string(exec->element[i]->str)};
  return ok_status();
}

Status RedisStreamPublisher::publish_bytes(const std::string& bytes) {
  if (auto s = ensure_connected(context_, url_); !s) return s;
  // MAXLEN ~ lets Redis trim whole macro nodes: bounded memory at almost no cost per XADD.
  ReplyPtr r = command_argv(context_.get(), {"XADD", stream_, "MAXLEN", "~",
                                             std::to_string(max_length_), "*", "batch", bytes});
  if (!r) {
    std::string why = context_error(context_.get());
    context_.reset();
    return Error{"Redis XADD to " + stream_ + " failed: " + why};
  }
  if (r->type == REDIS_REPLY_ERROR) return Error{"Redis XADD failed: " + std::string(r->str)};
  return ok_status();
}

std::string RedisStreamPublisher::describe() const {
  if (shards_ > 1)
    return "Redis stream " + stream_ + " in " + std::to_string(shards_) + " shards at " + url_.redacted();
  return "Redis stream " + stream_ + " at " + url_.redacted();
}

Result<std::unique_ptr<RedisStreamSource>> RedisStreamSource::create(const RedisUrl& url,
                                                                     RedisReadOptions options) {
  auto c = connect_redis(url);
  if (!c) return c.error();
  if (options.start_id == "$") {
    // Pin "$" to the current last entry once: a later XREAD with "$" would skip entries
    // added between two reads.
    ReplyPtr r = command_argv(c->get(), {"XREVRANGE", options.stream, "+", "-", "COUNT", "1"});
    if (!r || r->type == REDIS_REPLY_ERROR)
      return Error{"Redis XREVRANGE failed: " + (r ? std::string(r->str) : context_error(c->get()))};
    options.start_id = "0-0";
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 2)
      options.start_id = std::string(r->element[0]->element[0]->str, r->element[0]->element[0]->len);
  }
  return std::unique_ptr<RedisStreamSource>(
      new RedisStreamSource(url, std::move(options), std::move(*c)));
}

Result<std::vector<TransportMessage>> RedisStreamSource::poll(std::chrono::milliseconds timeout) {
  if (auto s = ensure_connected(context_, url_); !s) return s.error();
  const std::string block = std::to_string(std::max<long long>(1, timeout.count()));
  const std::string count = std::to_string(options_.count_per_read);
  ReplyPtr r = command_argv(context_.get(), {"XREAD", "COUNT", count, "BLOCK", block, "STREAMS",
                                             options_.stream, last_id_});
  if (!r) {
    std::string why = context_error(context_.get());
    context_.reset();
    return Error{"Redis read from " + options_.stream + " failed: " + why};
  }
  if (r->type == REDIS_REPLY_ERROR) return Error{"Redis read failed: " + std::string(r->str, r->len)};
  std::vector<TransportMessage> out;
  if (r->type == REDIS_REPLY_NIL) return out;  // timed out
  // Reply: [[stream, [[id, [field, value, ...]], ...]]]
  for (size_t s = 0; s < r->elements; ++s) {
    redisReply* stream = r->element[s];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) continue;
    redisReply* entries = stream->element[1];
    for (size_t e = 0; e < entries->elements; ++e) {
      redisReply* entry = entries->element[e];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
      std::string id(entry->element[0]->str, entry->element[0]->len);
      redisReply* fields = entry->element[1];
      last_id_ = id;
      bool found = false;
      for (size_t f = 0; f + 1 < fields->elements && !found; f += 2) {
        if (std::string_view(fields->element[f]->str, fields->element[f]->len) == "batch") {
          out.push_back({id, std::string(fields->element[f + 1]->str, fields->element[f + 1]->len)});
          found = true;
        }
      }
      // An entry someone else wrote, without a batch: handed on empty, so the consumer reports,
      // counts and acknowledges it like any malformed batch instead of leaving it pending.
      if (!found) out.push_back({id, std::string()});
    }
  }
  return out;
}

std::string RedisStreamSource::describe() const {
  return "Redis stream " + options_.stream + " at " + url_.redacted();
}

}  // namespace da
