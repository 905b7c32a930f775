#pragma once
// What the engine learns about one container image: per program (exe + comm, since busybox
// images run every applet from one exe) the syscall n-grams it makes, and for the whole image
// the programs it execs, the files it opens and the network peers it uses.
//
// A profile is learning until it has converged (detect/learning.h); then it is stable and
// deviations are reported, never learned. Files and peers are kept generalised
// (detect/learned_set.h): "r /srv/www/*" stands for many pages.
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/result.h"
#include "detect/learned_set.h"
#include "detect/learning.h"
#include "detect/ngram_model.h"
#include "detect/novelty_window.h"

namespace da {

constexpr int kProfileOrder = 6;  // calls per n-gram: 5 of context + the call (STIDE's 6)
// 2: paths with digit runs and hex ids folded, generalised patterns, novelty windows.
constexpr uint32_t kProfileFormatVersion = 2;

struct NgramKey {
  std::array<int16_t, kProfileOrder> calls{};
  // Two loads, not a call to memcmp: compared on every call a profile learns.
  bool operator==(const NgramKey& o) const {
    uint64_t a, b;
    uint32_t c, d;
    std::memcpy(&a, calls.data(), 8), std::memcpy(&b, o.calls.data(), 8);
    std::memcpy(&c, calls.data() + 4, 4), std::memcpy(&d, o.calls.data() + 4, 4);
    return a == b && c == d;
  }
};
static_assert(sizeof(NgramKey) == 12);

struct NgramKeyHash {
  // Every bit mixed (murmur3's finaliser): the flat map takes a control byte from the low bits
  // and the slot from the high ones.
  static uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
  }
  size_t operator()(const NgramKey& k) const {
    uint64_t a;
    uint32_t b;
    std::memcpy(&a, k.calls.data(), 8), std::memcpy(&b, k.calls.data() + 4, 4);
    return static_cast<size_t>(mix(a ^ mix(b)));
  }
};

// Open addressing (no node per n-gram, no division per lookup): learning updates it per call.
using NgramCounts = absl::flat_hash_map<NgramKey, uint32_t, NgramKeyHash>;

// A call of the held-back part of the learning data, with the thread that made it, so the
// threshold is set on data the model was not fitted to.
struct HoldoutCall {
  int32_t tid = 0;
  NgramKey ngram;
};

// Held-back store bookkeeping while learning (detector.cpp): the slot the current held-back
// segment overwrites, none, or not decided yet (after a load).
constexpr uint64_t kSlotUndecided = ~uint64_t{0};
constexpr uint64_t kSlotNone = ~uint64_t{0} - 1;

struct ProgramProfile {
  std::string exe;
  std::string comm;
  uint64_t calls = 0;
  NgramCounts ngrams;   // fitted
  NgramCounts holdout_ngrams;  // held back while learning; merged in when stable
  std::vector<HoldoutCall> holdout;
  uint64_t holdout_slot = kSlotUndecided;  // not persisted
  double threshold = 0;  // mean surprise over the locality window that raises an alarm
  // While learning: how often its calls and its file/peer accesses are still new.
  NoveltyWindow sequence_novelty{kSequenceBlockEvents, kNoveltySpanSeconds};
  NoveltyWindow resource_novelty{kResourceBlockEvents, kNoveltySpanSeconds};
  // Built when the profile becomes stable (or is loaded stable); not persisted.
  std::shared_ptr<const NgramModel> model;
};

enum class ProfileState { kLearning, kStable };
const char* state_name(ProfileState state);

using ProgramKey = std::pair<std::string, std::string>;  // exe, comm

struct ImageProfile {
  std::string image;     // repo:tag
  std::string image_id;  // sha256:...
  ProfileState state = ProfileState::kLearning;
  int64_t first_seen = 0;    // unix seconds
  int64_t stable_since = 0;  // 0 while learning
  std::string last_novelty;  // what that was, for the progress display
  std::string seeded_from;   // image this profile started from, if any
  std::string stable_reason;  // converged, or the time limit (and what had not converged)
  uint64_t calls = 0;
  std::map<ProgramKey, ProgramProfile> programs;
  LearnedSet execs;  // normalised paths given to execve
  LearnedSet files;  // "r /etc/passwd", "w /tmp/x", "rw ...", "r /srv/www/*"
  LearnedSet peers;  // "connect 127.0.0.1:6379", "bind 0.0.0.0:80", "accept *"
};

uint64_t distinct_ngrams(const ImageProfile& p);

// Versioned msgpack encoding, as stored in the state dir and exported.
std::string encode_profile(const ImageProfile& profile);
Result<ImageProfile> decode_profile(std::string_view bytes);

}  // namespace da
