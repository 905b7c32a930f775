#include <gtest/gtest.h>

#include <mutex>
#include <thread>

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

#include "transport/batch_shipper.h"
#include "transport/wire_format.h"

namespace da {
namespace {

// A transport that refuses the first `failures` batches, then accepts.
class FlakyPublisher final : public BatchPublisher {
 public:
  explicit FlakyPublisher(int failures) : failures_(failures) {}
  Status publish(const std::string& bytes) override {
    std::lock_guard lock(mutex_);
    if (failures_ > 0) {
      --failures_;
      return Error{"transport down"};
    }
    accepted_.push_back(bytes);
    return ok_status();
  }
  std::string describe() const override { return "flaky"; }
  std::vector<std::string> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }

 private:
  std::mutex mutex_;
  int failures_;
  std::vector<std::string> accepted_;
};

}  // namespace

TEST(BatchShipper, RetriesAnOutageAndDeliversEverythingInOrder) {
  EventChannel ch(2, 100);
  FlakyPublisher publisher(3);
  std::vector<std::string> warnings;
  BatchShipper shipper(ch, publisher, "h", "a", [&](const std::string& w) { warnings.push_back(w); });
  shipper.start();
  for (int i = 0; i < 5; ++i) {
    SyscallEvent e;
    e.syscall_nr = i;
    ch.push(std::move(e));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past the backoff retries
  shipper.finish();
  std::vector<int> seen;
  uint64_t expected_seq = 0;
  for (const auto& bytes : publisher.accepted()) {
    auto batch = decode_batch(bytes);
    ASSERT_TRUE(batch);
    EXPECT_EQ(batch->sequence, expected_seq++);
    for (const auto& e : batch->events) seen.push_back(e.syscall_nr);
  }
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ch.dropped(), 0u);
  EXPECT_FALSE(warnings.empty());  // the outage was reported
}

TEST(BatchShipper, CountsWhatItCannotDeliverAtShutdown) {
  EventChannel ch(2, 100);
  FlakyPublisher publisher(1000);
  BatchShipper shipper(ch, publisher, "h", "a", [](const std::string&) {});
  for (int i = 0; i < 4; ++i) ch.push(SyscallEvent{});
  shipper.start();
  shipper.finish();  // transport never comes back: shutdown must not hang, and counts the loss
  EXPECT_EQ(ch.dropped(), 4u);
  EXPECT_EQ(shipper.stats().events_sent, 0u);
}

}  // namespace da
