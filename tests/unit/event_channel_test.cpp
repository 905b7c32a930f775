#include <gtest/gtest.h>

#include "capture/event_channel.h"
#include "transport/inprocess_queue.h"

namespace da {

TEST(EventChannel, FullBatchesLeaveAtOncePartialOnesOnTimeout) {
  EventChannel ch(3, 10);
  for (int i = 0; i < 4; ++i) ch.push(SyscallEvent{});
  EXPECT_EQ(ch.take(std::chrono::milliseconds(0)).size(), 3u);
  EXPECT_EQ(ch.take(std::chrono::milliseconds(1)).size(), 1u);
  EXPECT_TRUE(ch.take(std::chrono::milliseconds(1)).empty());
  EXPECT_EQ(ch.captured(), 4u);
  EXPECT_EQ(ch.dropped(), 0u);
}

TEST(EventChannel, CountsWhatItCannotHold) {
  EventChannel ch(2, 2);
  for (int i = 0; i < 10; ++i) ch.push(SyscallEvent{});
  EXPECT_EQ(ch.captured(), 10u);
  EXPECT_EQ(ch.dropped(), 6u);  // two full batches held; once they are, every later event is refused
  ch.close();
  size_t delivered = 0;
  while (!ch.closed_and_drained()) delivered += ch.take(std::chrono::milliseconds(0)).size();
  EXPECT_EQ(delivered + ch.dropped(), ch.captured());
}

TEST(InProcessQueue, BoundedFifo) {
  InProcessQueue q(2);
  EXPECT_TRUE(q.publish("a"));
  EXPECT_TRUE(q.publish("b"));
  EXPECT_FALSE(q.publish("c"));
  auto got = q.poll(std::chrono::milliseconds(0));
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].bytes, "a");
  EXPECT_EQ((*got)[1].bytes, "b");
  EXPECT_TRUE(q.poll(std::chrono::milliseconds(1))->empty());
}

}  // namespace da
