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

// Parses the URL alone (a password in it is kept: tests and the library use it).
Result<RedisUrl> parse_redis_url(std::string_view url);

// The URL a user gave (--redis or the config file) with the credentials from where they may
// live: `credentials_file` (one line "user:password", or a password alone), else
// $DA_REDIS_USERNAME / $DA_REDIS_PASSWORD. A password inside the URL is refused: command lines
// are visible to every user of the host (`ps`), and config files get shared.
Result<RedisUrl> redis_url_with_credentials(std::string_view url, const std::string& credentials_file);

}  // namespace da
