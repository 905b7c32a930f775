// The windows that adoptions of kernel-judged calls came to, by the calls handed over. A
// server's threads hand over the same few runs of calls again and again (one before each call
// the kernel sends on; nginx under wrk: 26 distinct runs in a sample of 318): rescoring a run
// costs a model probe a call, recalling it one hash lookup.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "core/syscall_event.h"

namespace da {

class AdoptedWindows {
 public:
  static constexpr int kMaxWindow = 16;     // the kernel judge's window
  static constexpr size_t kMaxKept = 4096;  // then it starts over: a bound, not an LRU

  struct Key {
    const void* model = nullptr;  // the program's model (forget() when models change)
    int in_window = 0;
    std::array<int16_t, JudgedCalls::kRecent> recent{};
    bool operator==(const Key&) const = default;
  };
  struct Window {
    std::array<float, kMaxWindow> surprises{};  // oldest first, in_window of them
    std::array<uint8_t, kMaxWindow> unseen{};   // each call's 6-gram was never seen in learning
    double sum = 0;                             // summed oldest first, as scored
    int unseen_count = 0;
  };

  const Window* find(const Key& key) const {
    auto it = kept_.find(key);
    return it == kept_.end() ? nullptr : &it->second;
  }
  void remember(const Key& key, const Window& window) {
    if (kept_.size() >= kMaxKept) kept_.clear();
    kept_[key] = window;
  }
  // Models were built again: a new model may sit at a freed one's address.
  void forget() { kept_.clear(); }
  size_t size() const { return kept_.size(); }

 private:
  struct KeyHash {
    size_t operator()(const Key& k) const {
      const size_t calls = std::hash<std::string_view>{}(
          std::string_view(reinterpret_cast<const char*>(k.recent.data()), sizeof k.recent));
      return calls ^ (std::hash<const void*>{}(k.model) * 31 + static_cast<size_t>(k.in_window));
    }
  };
  std::unordered_map<Key, Window, KeyHash> kept_;
};

}  // namespace da
