#pragma once
// How often something new still turns up: the share of a stream's most recent events (calls of
// one program, or the files and peers it uses) that were new when they came. Under steady
// behaviour that share estimates the probability that the next event is new. Unlike
// Good–Turing's singletons over everything ever seen, it forgets the start-up burst once that
// is out of the window, so a program that started noisily and then settled converges.
//
// The window is kBlocks blocks; a block closes after `block_events` events or `span/kBlocks`
// seconds, whichever comes first, so the window covers at most kBlocks * block_events events
// and at most about `span` seconds.
#include <array>
#include <cstdint>

namespace da {

class NoveltyWindow {
 public:
  static constexpr int kBlocks = 8;
  struct Block {
    int64_t start = 0;  // unix seconds of its first event
    uint32_t events = 0, novel = 0;
  };

  NoveltyWindow(uint32_t block_events, int64_t span_seconds)
      : block_events_(block_events ? block_events : 1), block_seconds_(span_seconds / kBlocks > 0 ? span_seconds / kBlocks : 1) {}

  void observe(bool novel, int64_t now) {
    Block* b = &blocks_[head_];
    if (b->events >= block_events_ || (b->events && now - b->start >= block_seconds_)) {
      head_ = (head_ + 1) % kBlocks;
      b = &blocks_[head_];
      *b = Block{};
    }
    if (b->events == 0) b->start = now;
    ++b->events;
    b->novel += novel ? 1 : 0;
    last_ = now;
  }

  // Events and novel events in the window as of `now` (blocks older than the span drop out).
  uint64_t events(int64_t now) const { return sum(now, false); }
  // Novel share of the window; 1 when the window is empty (nothing is known).
  double estimate(int64_t now) const {
    const uint64_t n = sum(now, false);
    return n == 0 ? 1.0 : static_cast<double>(sum(now, true)) / static_cast<double>(n);
  }
  int64_t last_event() const { return last_; }

  // For persistence.
  const std::array<Block, kBlocks>& blocks() const { return blocks_; }
  int head() const { return head_; }
  void restore(int head, int64_t last, const std::array<Block, kBlocks>& blocks) {
    head_ = head >= 0 && head < kBlocks ? head : 0;
    last_ = last;
    blocks_ = blocks;
  }

 private:
  uint64_t sum(int64_t now, bool novel) const {
    uint64_t n = 0;
    for (const Block& b : blocks_)
      if (b.events && now - b.start < block_seconds_ * (kBlocks + 1)) n += novel ? b.novel : b.events;
    return n;
  }

  uint32_t block_events_;
  int64_t block_seconds_;
  int head_ = 0;
  int64_t last_ = 0;
  std::array<Block, kBlocks> blocks_{};
};

}  // namespace da
