#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "core/event_channel.h"
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

TEST(InProcessQueue, BoundedFifoThatPassesBatchesWithoutEncodingThem) {
  InProcessQueue q(2);
  EventBatch a, b, c;
  a.sequence = 1, b.sequence = 2, c.sequence = 3;
  a.events.resize(3);
  EXPECT_TRUE(q.publish(a));
  EXPECT_TRUE(q.publish(b));
  EXPECT_FALSE(q.publish(c));
  EXPECT_EQ(c.sequence, 3u);  // a refused batch stays with the caller
  auto got = q.poll(std::chrono::milliseconds(0));
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 2u);
  ASSERT_TRUE((*got)[0].batch);
  EXPECT_TRUE((*got)[0].bytes.empty());
  EXPECT_EQ((*got)[0].batch->sequence, 1u);
  EXPECT_EQ((*got)[0].batch->events.size(), 3u);
  EXPECT_EQ((*got)[1].batch->sequence, 2u);
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
  Status publish(EventBatch& batch) override {
    std::lock_guard lock(mutex_);
    if (failures_ > 0) {
      --failures_;
      return Error{"transport down"};
    }
    accepted_.push_back(encode_batch(batch));
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
  EXPECT_EQ(ch.pool().spare(), 5u);  // encoded and sent: the events are capture's to fill again
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

#include "transport/event_consumer.h"
#include "core/event_pool.h"

namespace da {

TEST(EventChannel, ABurstIsHandedOverWholeInOrderAndRefusedWholeWhenTheChannelIsFull) {
  EventChannel ch(2, 2);
  auto burst = [](int from, int n) {
    std::vector<SyscallEvent> events(n);
    for (int i = 0; i < n; ++i) events[i].syscall_nr = from + i;
    return events;
  };
  ch.push_all(burst(0, 3));  // starts a batch and fills it: one batch of three
  ch.push_all(burst(3, 1));
  ch.push_all(burst(4, 1));  // completes the second batch
  ch.push_all(burst(5, 4));  // two batches are waiting: refused, counted
  EXPECT_EQ(ch.captured(), 9u);
  EXPECT_EQ(ch.dropped(), 4u);
  EXPECT_EQ(ch.take(std::chrono::milliseconds(0)).size(), 3u);
  auto second = ch.take(std::chrono::milliseconds(0));
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].syscall_nr, 3);
  EXPECT_EQ(second[1].syscall_nr, 4);
}

TEST(EventPool, ABurstIsFilledInPlaceWithSpareEventsAndThePoolStaysBounded) {
  EventPool pool(4);
  EventBurst burst(pool, /*batch_size=*/4);
  burst.next().syscall_nr = 1;  // nothing spare yet: a new event
  std::vector<SyscallEvent> first = burst.take();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].syscall_nr, 1);

  std::vector<SyscallEvent> handled(3);
  for (auto& e : handled) {
    e.container_id.assign(64, 'c');
    e.args.assign(6, ArgValue{int64_t{1}});
  }
  const char* id_buffer = handled[0].container_id.data();
  pool.give_back(std::move(handled));
  EXPECT_EQ(pool.spare(), 3u);
  pool.give_back(std::vector<SyscallEvent>(2));  // would exceed 4: freed instead
  EXPECT_EQ(pool.spare(), 3u);

  SyscallEvent& reused = burst.next();
  EXPECT_EQ(reused.container_id.data(), id_buffer);  // the same buffer: nothing allocated
  EXPECT_GE(reused.args.capacity(), 6u);
  EXPECT_EQ(pool.spare(), 0u);  // the whole batch came at once
  burst.next();
  burst.drop_last();  // not sent
  EXPECT_EQ(burst.size(), 1u);
  auto sent = burst.take();
  EXPECT_EQ(sent.size(), 1u);
  // The two unfilled spares stay with the burst, buffers and all.
  EXPECT_EQ(burst.next().container_id.size(), 64u);
  EXPECT_EQ(burst.next().container_id.size(), 64u);
  EXPECT_TRUE(burst.next().container_id.empty());  // used up: new again
}

namespace {
class CollectingHandler final : public EventHandler {
 public:
  void on_event(const SyscallEvent& e, const EventContext&) override { seen.push_back(e.syscall_nr); }
  std::vector<int> seen;
};
}  // namespace

TEST(EventConsumer, InProcessBatchesArriveUndecodedAndTheirEventsGoBackToThePool) {
  InProcessQueue queue;
  EventPool pool;
  EventConsumer consumer(queue, [](const std::string&) {});
  consumer.recycle_into(pool);
  CollectingHandler handler;
  consumer.add_handler(handler);
  EventBatch batch;
  batch.events.resize(5);
  for (int i = 0; i < 5; ++i) batch.events[i].syscall_nr = i;
  ASSERT_TRUE(queue.publish(batch));
  std::atomic<bool> stop{false};
  auto handled = consumer.run_inline(0, true, stop);
  ASSERT_TRUE(handled);
  EXPECT_EQ(*handled, 5u);
  EXPECT_EQ(handler.seen, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(consumer.malformed_batches(), 0u);
  EXPECT_EQ(pool.spare(), 5u);
}

}  // namespace da

#include "capture/backend_factory.h"

namespace da {

TEST(BackendFactory, KindsAreNamedOneWayAndUnknownNamesRefused) {
  for (auto kind : {BackendKind::kAuto, BackendKind::kEbpf, BackendKind::kPtrace})
    EXPECT_EQ(parse_backend_kind(backend_kind_name(kind)), kind);
  EXPECT_FALSE(parse_backend_kind("bpf"));
  EXPECT_FALSE(parse_backend_kind(""));
  EXPECT_FALSE(parse_backend_kind("EBPF"));
}

}  // namespace da
