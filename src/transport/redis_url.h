#pragma once
// redis://[user:password@]host:port[/db] — the form users pass to --redis.
#include <string>
#include <string_view>

#include "core/result.h"

namespace da {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;
  std::string password;
  int db = 0;
  std::string redacted() const;  // for logs: never prints the password
};

Result<RedisUrl> parse_redis_url(std::string_view url);

}  // namespace da
