#pragma once
// Redis Streams transport: each batch is one stream entry (field "batch", msgpack bytes), added
// with XADD and a bounded MAXLEN so an absent consumer cannot fill Redis's memory. With several
// shards (stream_shards.h) a batch is split by image, and its parts are added in one MULTI/EXEC:
// all or none, so a retry never adds a part twice.
#include <memory>
#include <string>

#include "transport/event_transport.h"
#include "transport/redis_url.h"

namespace da {

constexpr const char* kDefaultStream = "docker-anomalies:events";

}  // namespace da

struct redisContext;  // hiredis, used only inside redis_stream.cpp

namespace da {

struct RedisContextDeleter {
  void operator()(redisContext* c) const;
};
using RedisContextPtr = std::unique_ptr<redisContext, RedisContextDeleter>;

// Connects, authenticates and selects the database; the message says what failed and where.
Result<RedisContextPtr> connect_redis(const RedisUrl& url);

class RedisStreamPublisher final : public BatchPublisher {
 public:
  static Result<std::unique_ptr<RedisStreamPublisher>> create(const RedisUrl& url,
                                                              std::string stream,
                                                              long long max_length,
                                                              uint32_t shards = 1);
  Status publish(EventBatch& batch) override;
  std::string describe() const override;

 private:
  Status publish_bytes(const std::string& bytes);
  Status publish_sharded(const EventBatch& batch);
  RedisStreamPublisher(RedisUrl url, std::string stream, long long max_length, uint32_t shards,
                       RedisContextPtr c)
      : url_(std::move(url)), stream_(std::move(stream)), max_length_(max_length),
        shards_(shards), context_(std::move(c)) {}
  RedisUrl url_;
  std::string stream_;
  long long max_length_;
  uint32_t shards_;
  RedisContextPtr context_;  // reconnected lazily after a failure
};

struct RedisReadOptions {
  std::string stream = kDefaultStream;
  // The entry id to start after ("0" = from the beginning, "$" = only new ones).
  std::string start_id = "$";
  int count_per_read = 64;
};

// A plain reader of one stream (dump, and run reading its own events back). Detectors share a
// stream through redis_shard_source.h instead.
class RedisStreamSource final : public BatchSource {
 public:
  static Result<std::unique_ptr<RedisStreamSource>> create(const RedisUrl& url,
                                                           RedisReadOptions options);
  Result<std::vector<TransportMessage>> poll(std::chrono::milliseconds timeout) override;
  std::string describe() const override;

 private:
  RedisStreamSource(RedisUrl url, RedisReadOptions options, RedisContextPtr c)
      : url_(std::move(url)), options_(std::move(options)), last_id_(options_.start_id),
        context_(std::move(c)) {}
  RedisUrl url_;
  RedisReadOptions options_;
  std::string last_id_;
  RedisContextPtr context_;
};

}  // namespace da
