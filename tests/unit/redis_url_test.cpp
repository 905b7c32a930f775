#include <gtest/gtest.h>

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

}  // namespace da
