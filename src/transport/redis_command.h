#pragma once
// hiredis helpers the Redis transports share (inside transport/ only): replies freed by RAII,
// commands as argument vectors (binary-safe), and reconnecting after a failure.
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "transport/redis_stream.h"

namespace da::redis {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

inline ReplyPtr command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data())));
}

inline std::string context_error(redisContext* c) {
  return c && c->err ? std::string(c->errstr) : std::string("no reply");
}

// The reply's error text, or the connection's when there was no reply.
inline std::string error_of(redisContext* c, const ReplyPtr& r) {
  return r ? std::string(r->str ? r->str : "unexpected reply", r->str ? r->len : 16) : context_error(c);
}

inline bool is_error(const ReplyPtr& r) { return !r || r->type == REDIS_REPLY_ERROR; }

inline std::string text(const redisReply* r) {
  return r && r->str ? std::string(r->str, r->len) : std::string();
}

inline Status ensure_connected(RedisContextPtr& context, const RedisUrl& url) {
  if (context && context->err == 0) return ok_status();
  auto fresh = connect_redis(url);
  if (!fresh) return fresh.error();
  context = std::move(*fresh);
  return ok_status();
}

// "1700000000000-3" -> {1700000000000, 3}, compared as numbers (text order is wrong).
inline std::pair<uint64_t, uint64_t> stream_id(const std::string& id) {
  const auto dash = id.find('-');
  try {
    return {std::stoull(id.substr(0, dash)), dash == std::string::npos ? 0 : std::stoull(id.substr(dash + 1))};
  } catch (...) {
    return {0, 0};
  }
}

}  // namespace da::redis
