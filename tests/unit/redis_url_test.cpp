#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "transport/redis_url.h"

namespace da {

TEST(RedisUrl, ParsesAllForms) {
  auto a = parse_redis_url("redis://127.0.0.1:6380");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 0);
  auto b = parse_redis_url("redis://alice:s3cr@t@localhost:7000/2");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->user, "alice");
  EXPECT_EQ(b->password, "s3cr@t");
  EXPECT_EQ(b->host, "localhost");
  EXPECT_EQ(b->port, 7000);
  EXPECT_EQ(b->db, 2);
  EXPECT_EQ(b->redacted().find("s3cr"), std::string::npos);
  auto c = parse_redis_url("redis://pw@h");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->password, "pw");
  EXPECT_EQ(c->port, 6379);
}

TEST(RedisUrl, RejectsBadInput) {
  EXPECT_FALSE(parse_redis_url("http://127.0.0.1:6379"));
  EXPECT_FALSE(parse_redis_url("redis://"));
  EXPECT_FALSE(parse_redis_url("redis://h:99999"));
  EXPECT_FALSE(parse_redis_url("redis://h:port"));
  EXPECT_FALSE(parse_redis_url("redis://h:6379/x"));
}

TEST(RedisUrl, TlsPointsToTheStunnelClient) {
  auto tls = parse_redis_url("rediss://redis.example.org:6380");
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().message.find("stunnel"), std::string::npos) << tls.error().message;
  EXPECT_NE(tls.error().message.find("docs/redis-tls.md"), std::string::npos);
}

}  // namespace da

namespace da {

TEST(RedisUrl, PasswordsComeFromAFileOrTheEnvironmentNeverTheUrl) {
  // Issue 11: --redis redis://:pw@host showed the password to every user in `ps`.
  auto refused = redis_url_with_credentials("redis://:hunter2@127.0.0.1:6379", "");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message.find("hunter2"), std::string::npos) << refused.error().message;
  for (const char* url : {"http://:hunter2@127.0.0.1", "hunter2@127.0.0.1:6379", "hunter2:x@h"}) {
    auto bad_scheme = parse_redis_url(url);
    ASSERT_FALSE(bad_scheme);
    EXPECT_EQ(bad_scheme.error().message.find("hunter2"), std::string::npos) << bad_scheme.error().message;
  }

  const std::string file = ::testing::TempDir() + "/redis-credentials";
  std::ofstream(file) << "alice:s3cr:et\n";
  auto from_file = redis_url_with_credentials("redis://127.0.0.1:6379/1", file);
  ASSERT_TRUE(from_file) << from_file.error().message;
  EXPECT_EQ(from_file->user, "alice");
  EXPECT_EQ(from_file->password, "s3cr:et");
  EXPECT_EQ(from_file->redacted(), "redis://alice:***@127.0.0.1:6379/1");
  std::ofstream(file) << "justapassword\n";
  auto alone = redis_url_with_credentials("redis://h", file);
  ASSERT_TRUE(alone);
  EXPECT_EQ(alone->user, "");
  EXPECT_EQ(alone->password, "justapassword");
  EXPECT_FALSE(redis_url_with_credentials("redis://h", file + ".missing"));

  setenv("DA_REDIS_PASSWORD", "fromenv", 1);
  auto from_env = redis_url_with_credentials("redis://h", "");
  unsetenv("DA_REDIS_PASSWORD");
  ASSERT_TRUE(from_env);
  EXPECT_EQ(from_env->password, "fromenv");
  auto none = redis_url_with_credentials("redis://h", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->password, "");
}

}  // namespace da
