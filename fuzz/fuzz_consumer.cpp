// The consumer path as `detect` runs it on a Redis stream: two entries are read, decoded and
// handed to the detection engine — the first learned (its profile then made stable), the
// second scored — and every alert is formatted for every sink. Input: a 2-byte little-endian
// length of the first entry, the first entry, the second entry.
#include <cstddef>
#include <cstdint>
#include <deque>

#include "alert/alert_format.h"
#include "transport/event_consumer.h"
#include "core/json_text.h"
#include "detect/detector.h"

namespace {

class EntriesSource final : public da::BatchSource {
 public:
  explicit EntriesSource(std::deque<da::TransportMessage> entries) : entries_(std::move(entries)) {}
  da::Result<std::vector<da::TransportMessage>> poll(std::chrono::milliseconds) override {
    if (entries_.empty()) return std::vector<da::TransportMessage>{};
    std::vector<da::TransportMessage> one{std::move(entries_.front())};  // one entry per poll
    entries_.pop_front();
    return one;
  }
  std::string describe() const override { return "fuzz input"; }

 private:
  std::deque<da::TransportMessage> entries_;
};

// Learns until the first tick, then detects: the clock jumps past the longest learning.
class DetectingHandler final : public da::EventHandler {
 public:
  DetectingHandler() : detector_(config(), nullptr, [](const da::Anomaly& a) { format(a); },
                                 [](const std::string&) {}, [this] { return now_; }) {}
  void on_event(const da::SyscallEvent& event, const da::EventContext& context) override {
    detector_.observe(event, context.host, context.container);
  }
  void on_tick() override {
    now_ += 100;
    detector_.tick();
  }

 private:
  static da::DetectorConfig config() {
    da::DetectorConfig c;
    c.learning.min_seconds = 1;
    c.learning.max_seconds = 50;
    return c;
  }
  static void format(const da::Anomaly& a) {
    (void)da::alert_text(a);
    (void)da::email_message(a, "agent@example.org", {"admin@example.org"});
    (void)da::json_text(da::anomaly_to_json(a));
    (void)da::json_text(da::falco_payload(a));
  }
  int64_t now_ = 1'800'000'000;
  da::Detector detector_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t first = std::min<size_t>(size - 2, data[0] | (size_t{data[1]} << 8));
  const char* bytes = reinterpret_cast<const char*>(data) + 2;
  std::deque<da::TransportMessage> entries;
  entries.push_back({"1-0", std::string(bytes, first)});
  entries.push_back({"2-0", std::string(bytes + first, size - 2 - first)});
  EntriesSource source(std::move(entries));
  DetectingHandler handler;
  da::EventConsumer consumer(source, [](const std::string&) {});
  consumer.add_handler(handler);
  std::atomic<bool> stop{false};
  (void)consumer.run_inline(0, true, stop);
  return 0;
}
