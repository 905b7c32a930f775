#include "transport/redis_url.h"

#include <charconv>
#include <cstdlib>

#include "core/secret_file.h"

namespace da {
namespace {

bool parse_int(std::string_view s, int& out, int min, int max) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && out >= min && out <= max;
}

}  // namespace

std::string RedisUrl::redacted() const {
  std::string auth = user.empty() && password.empty() ? "" : (user.empty() ? "" : user) + ":***@";
  return "redis://" + auth + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<RedisUrl> parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) {
    // Not echoed: whatever follows the scheme may be a password.
    const auto colon = url.find("://");
    const std::string_view name = colon == std::string_view::npos ? std::string_view{} : url.substr(0, colon);
    const bool plain = !name.empty() && name.size() < 16 &&
                       name.find_first_not_of("abcdefghijklmnopqrstuvwxyz+") == std::string_view::npos;
    if (name == "rediss")  // Debian 12's hiredis has no TLS: a local stunnel client carries it
      return Error{"rediss:// is not supported directly: run an stunnel client beside the agent "
                   "and give --redis redis://127.0.0.1:<its port> (docs/redis-tls.md)"};
    const std::string got = plain ? "scheme '" + std::string(name) + "'" : "no redis:// scheme";
    return Error{"invalid Redis URL (" + got + "): expected redis://host:port[/db]"};
  }
  std::string_view rest = url.substr(scheme.size());
  RedisUrl out;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (auto colon = auth.find(':'); colon != std::string_view::npos) {
      out.user = auth.substr(0, colon);
      out.password = auth.substr(colon + 1);
    } else {
      out.password = auth;  // redis://secret@host: a password alone, the legacy AUTH form
    }
  }
  std::string_view hostport = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !parse_int(db, out.db, 0, 1 << 20))
      return Error{"invalid Redis URL: database '" + std::string(db) + "' is not a number"};
  }
  if (hostport.empty()) return Error{"invalid Redis URL: no host"};
  if (auto colon = hostport.rfind(':'); colon != std::string_view::npos && hostport[0] != '[') {
    if (!parse_int(hostport.substr(colon + 1), out.port, 1, 65535))
      return Error{"invalid Redis URL: port '" + std::string(hostport.substr(colon + 1)) +
                   "' is not in 1..65535"};
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return Error{"invalid Redis URL: no host"};
  out.host = hostport;
  return out;
}

Result<RedisUrl> redis_url_with_credentials(std::string_view url, const std::string& credentials_file) {
  auto parsed = parse_redis_url(url);
  if (!parsed) return parsed.error();
  if (!parsed->password.empty())
    return Error{"put the Redis password in a credentials file (--redis-credentials) or "
                 "DA_REDIS_PASSWORD, not in the URL: command lines are visible to every user"};
  if (!credentials_file.empty()) {
    auto read = read_secret_line(credentials_file, "Redis credentials");
    if (!read) return read.error();
    const std::string& line = *read;
    const auto colon = line.find(':');
    parsed->user = colon == std::string::npos ? "" : line.substr(0, colon);
    parsed->password = colon == std::string::npos ? line : line.substr(colon + 1);
    return parsed;
  }
  if (const char* password = std::getenv("DA_REDIS_PASSWORD"); password && *password) {
    const char* user = std::getenv("DA_REDIS_USERNAME");
    parsed->user = user ? user : "";
    parsed->password = password;
  }
  return parsed;
}

}  // namespace da
