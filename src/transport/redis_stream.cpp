#include "transport/redis_stream.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace da {

void RedisContextDeleter::operator()(redisContext* c) const { redisFree(c); }

namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ReplyPtr command_argv(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data())));
}

std::string context_error(redisContext* c) {
  return c && c->err ? std::string(c->errstr) : std::string("no reply");
}

Status ensure_connected(RedisContextPtr& context, const RedisUrl& url) {
  if (context && context->err == 0) return ok_status();
  auto fresh = connect_redis(url);
  if (!fresh) return fresh.error();
  context = std::move(*fresh);
  return ok_status();
}

Status ensure_group(redisContext* c, const RedisReadOptions& o) {
  ReplyPtr r = command_argv(c, {"XGROUP", "CREATE", o.stream, o.group, "0", "MKSTREAM"});
  if (!r) return Error{"Redis XGROUP CREATE failed: " + context_error(c)};
  if (r->type == REDIS_REPLY_ERROR && std::string(r->str).find("BUSYGROUP") == std::string::npos)
    return Error{"Redis XGROUP CREATE failed: " + std::string(r->str)};
  return ok_status();
}

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
                                                                           long long max_length) {
  auto c = connect_redis(url);
  if (!c) return c.error();
  return std::unique_ptr<RedisStreamPublisher>(
      new RedisStreamPublisher(url, std::move(stream), max_length, std::move(*c)));
}

// Encoded again on a retry: retries are rare and seconds apart, and the batch stays the one copy.
Status RedisStreamPublisher::publish(EventBatch& batch) { return publish_bytes(encode_batch(batch)); }

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
  return "Redis stream " + stream_ + " at " + url_.redacted();
}

Result<std::unique_ptr<RedisStreamSource>> RedisStreamSource::create(const RedisUrl& url,
                                                                     RedisReadOptions options) {
  auto c = connect_redis(url);
  if (!c) return c.error();
  if (!options.group.empty()) {
    if (auto s = ensure_group(c->get(), options); !s) return s.error();
  } else if (options.start_id == "$") {
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
  ReplyPtr r =
      options_.group.empty()
          ? command_argv(context_.get(), {"XREAD", "COUNT", count, "BLOCK", block, "STREAMS",
                                          options_.stream, last_id_})
          : command_argv(context_.get(), {"XREADGROUP", "GROUP", options_.group,
                                          options_.consumer, "COUNT", count, "BLOCK", block,
                                          "STREAMS", options_.stream, ">"});
  if (!r) {
    std::string why = context_error(context_.get());
    context_.reset();
    return Error{"Redis read from " + options_.stream + " failed: " + why};
  }
  if (r->type == REDIS_REPLY_ERROR) {
    const std::string why(r->str, r->len);
    // A Redis restarted without persistence has lost the group: create it again, or every
    // later read fails the same way and new entries are never read.
    if (!options_.group.empty() && why.rfind("NOGROUP", 0) == 0) {
      if (auto s = ensure_group(context_.get(), options_); !s) return s.error();
      return Error{"Redis lost the consumer group " + options_.group + " (restarted without " +
                   "persistence?); created it again, reading on"};
    }
    return Error{"Redis read failed: " + why};
  }
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

Status RedisStreamSource::acknowledge(const std::vector<TransportMessage>& messages) {
  if (options_.group.empty() || messages.empty()) return ok_status();
  if (auto s = ensure_connected(context_, url_); !s) return s;
  std::vector<std::string> args{"XACK", options_.stream, options_.group};
  for (const auto& m : messages) args.push_back(m.id);
  ReplyPtr r = command_argv(context_.get(), args);
  if (!r || r->type == REDIS_REPLY_ERROR)
    return Error{"Redis XACK failed: " + (r ? std::string(r->str) : context_error(context_.get()))};
  return ok_status();
}

std::string RedisStreamSource::describe() const {
  return "Redis stream " + options_.stream + " at " + url_.redacted() +
         (options_.group.empty() ? "" : " (group " + options_.group + ")");
}

}  // namespace da
