#include "detect/profile.h"

#include <algorithm>
#include <msgpack.hpp>

#include "core/msgpack_fields.h"

namespace da {

const char* state_name(ProfileState state) {
  return state == ProfileState::kStable ? "stable" : "learning";
}

uint64_t distinct_ngrams(const ImageProfile& p) {
  uint64_t n = 0;
  for (const auto& [key, program] : p.programs) {
    n += program.ngrams.size();
    for (const auto& [g, c] : program.holdout_ngrams) n += program.ngrams.count(g) ? 0 : 1;
  }
  return n;
}

// ---- encoding ----------------------------------------------------------------------------

namespace {

using namespace msgpack_fields;

void pack_set(Packer& pk, const LearnedSet& set) {
  pk.pack_array(static_cast<uint32_t>(set.size()));
  for (const auto& s : set) pack_string(pk, s);
}

// N-gram counts as one flat integer array: order calls then the count, per n-gram.
void pack_counts(Packer& pk, const NgramCounts& counts) {
  pk.pack_array(static_cast<uint32_t>(counts.size() * (kProfileOrder + 1)));
  for (const auto& [key, count] : counts) {
    for (int16_t c : key.calls) pk.pack(static_cast<int32_t>(c));
    pk.pack(count);
  }
}

// A novelty window as [head, last, start0, events0, novel0, start1, ...].
void pack_window(Packer& pk, const NoveltyWindow& w) {
  pk.pack_array(2 + 3 * NoveltyWindow::kBlocks);
  pk.pack(w.head());
  pk.pack(w.last_event());
  for (const auto& b : w.blocks()) pk.pack(b.start), pk.pack(b.events), pk.pack(b.novel);
}

void get_window(const msgpack::object& o, NoveltyWindow& w) {
  const auto& a = as_array(o, "novelty");
  if (a.size != 2 + 3 * NoveltyWindow::kBlocks) throw DecodeError{"novelty window has the wrong size"};
  std::array<NoveltyWindow::Block, NoveltyWindow::kBlocks> blocks;
  for (int i = 0; i < NoveltyWindow::kBlocks; ++i) {
    blocks[i].start = as_int(a.ptr[2 + 3 * i], "novelty start");
    const int64_t events = as_int(a.ptr[3 + 3 * i], "novelty events"), novel = as_int(a.ptr[4 + 3 * i], "novelty novel");
    if (events < 0 || events > UINT32_MAX || novel < 0 || novel > events) throw DecodeError{"novelty counts out of range"};
    blocks[i].events = static_cast<uint32_t>(events);
    blocks[i].novel = static_cast<uint32_t>(novel);
  }
  w.restore(static_cast<int>(as_int(a.ptr[0], "novelty head")), as_int(a.ptr[1], "novelty last"), blocks);
}

void pack_program(Packer& pk, const ProgramProfile& p) {
  pk.pack_map(8);
  pack_string(pk, "exe"), pack_string(pk, p.exe);
  pack_string(pk, "comm"), pack_string(pk, p.comm);
  pack_string(pk, "calls"), pk.pack(p.calls);
  pack_string(pk, "threshold"), pk.pack(p.threshold);
  pack_string(pk, "ngrams"), pack_counts(pk, p.ngrams);
  pack_string(pk, "holdout");
  pk.pack_array(static_cast<uint32_t>(p.holdout.size() * (kProfileOrder + 1)));
  for (const auto& h : p.holdout) {
    pk.pack(h.tid);
    for (int16_t c : h.ngram.calls) pk.pack(static_cast<int32_t>(c));
  }
  pack_string(pk, "sequence_novelty"), pack_window(pk, p.sequence_novelty);
  pack_string(pk, "resource_novelty"), pack_window(pk, p.resource_novelty);
}

std::string get_str(const msgpack::object& o, const char* field) {
  return std::string(as_string(o, field));
}

LearnedSet get_set(const msgpack::object& o, const char* field) {
  LearnedSet out;
  const auto& a = as_array(o, field);
  for (uint32_t i = 0; i < a.size; ++i) out.insert(get_str(a.ptr[i], field));
  return out;
}

// Unix seconds, bounded so that `now - t` can never overflow on an imported file.
int64_t as_time(const msgpack::object& o, const char* field) {
  const int64_t t = as_int(o, field);
  if (t < 0 || t > (int64_t{1} << 40)) throw DecodeError{std::string(field) + " is not a plausible time"};
  return t;
}

int16_t get_call(const msgpack::object& o) {
  const int64_t v = as_int(o, "n-gram call");
  if (v < -1 || v > 32767) throw DecodeError{"n-gram call out of range"};
  return static_cast<int16_t>(v);
}

NgramCounts get_counts(const msgpack::object& o) {
  const auto& a = as_array(o, "ngrams");
  if (a.size % (kProfileOrder + 1) != 0) throw DecodeError{"ngrams has a partial entry"};
  NgramCounts counts;
  counts.reserve(a.size / (kProfileOrder + 1));
  for (uint32_t i = 0; i < a.size; i += kProfileOrder + 1) {
    NgramKey key;
    for (int j = 0; j < kProfileOrder; ++j) key.calls[j] = get_call(a.ptr[i + j]);
    const int64_t count = as_int(a.ptr[i + kProfileOrder], "n-gram count");
    if (count <= 0 || count > UINT32_MAX) throw DecodeError{"n-gram count out of range"};
    counts[key] += static_cast<uint32_t>(count);
  }
  return counts;
}

ProgramProfile get_program(const msgpack::object& o) {
  if (o.type != msgpack::type::MAP) throw DecodeError{"program is not a map"};
  ProgramProfile p;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    const std::string key = get_str(kv.key, "program key");
    if (key == "exe") p.exe = get_str(kv.val, "exe");
    else if (key == "comm") p.comm = get_str(kv.val, "comm");
    else if (key == "calls") p.calls = static_cast<uint64_t>(as_int(kv.val, "calls"));
    else if (key == "threshold") p.threshold = as_double(kv.val, "threshold");
    else if (key == "ngrams") p.ngrams = get_counts(kv.val);
    else if (key == "sequence_novelty") get_window(kv.val, p.sequence_novelty);
    else if (key == "resource_novelty") get_window(kv.val, p.resource_novelty);
    else if (key == "holdout") {
      const auto& a = as_array(kv.val, "holdout");
      if (a.size % (kProfileOrder + 1) != 0) throw DecodeError{"holdout has a partial entry"};
      for (uint32_t j = 0; j < a.size; j += kProfileOrder + 1) {
        HoldoutCall h;
        h.tid = static_cast<int32_t>(as_int(a.ptr[j], "holdout tid"));
        for (int k = 0; k < kProfileOrder; ++k) h.ngram.calls[k] = get_call(a.ptr[j + 1 + k]);
        p.holdout.push_back(h);
        ++p.holdout_ngrams[h.ngram];
      }
    }
  }
  return p;
}

}  // namespace

std::string encode_profile(const ImageProfile& profile) {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  pk.pack_map(15);
  pack_string(pk, "v"), pk.pack(kProfileFormatVersion);
  pack_string(pk, "order"), pk.pack(kProfileOrder);
  pack_string(pk, "image"), pack_string(pk, profile.image);
  pack_string(pk, "image_id"), pack_string(pk, profile.image_id);
  pack_string(pk, "state"), pack_string(pk, state_name(profile.state));
  pack_string(pk, "first_seen"), pk.pack(profile.first_seen);
  pack_string(pk, "stable_since"), pk.pack(profile.stable_since);
  pack_string(pk, "last_novelty"), pack_string(pk, profile.last_novelty);
  pack_string(pk, "seeded_from"), pack_string(pk, profile.seeded_from);
  pack_string(pk, "stable_reason"), pack_string(pk, profile.stable_reason);
  pack_string(pk, "calls"), pk.pack(profile.calls);
  pack_string(pk, "programs");
  pk.pack_array(static_cast<uint32_t>(profile.programs.size()));
  for (const auto& [key, program] : profile.programs) pack_program(pk, program);
  pack_string(pk, "execs"), pack_set(pk, profile.execs);
  pack_string(pk, "files"), pack_set(pk, profile.files);
  pack_string(pk, "peers"), pack_set(pk, profile.peers);
  return std::string(buffer.data(), buffer.size());
}

Result<ImageProfile> decode_profile(std::string_view bytes) {
  try {
    msgpack::object_handle handle = unpack_untrusted(bytes);
    const msgpack::object& root = handle.get();
    if (root.type != msgpack::type::MAP) return Error{"not a profile (expected a msgpack map)"};
    ImageProfile p;
    bool has_version = false;
    for (uint32_t i = 0; i < root.via.map.size; ++i) {
      const auto& kv = root.via.map.ptr[i];
      const std::string key = get_str(kv.key, "profile key");
      const auto& v = kv.val;
      if (key == "v") {
        const int64_t version = as_int(v, "v");
        if (version != kProfileFormatVersion)
          return Error{"unsupported profile format version " + std::to_string(version) +
                       " (this build reads " + std::to_string(kProfileFormatVersion) + ")"};
        has_version = true;
      } else if (key == "order") {
        if (as_int(v, "order") != kProfileOrder)
          return Error{"profile uses n-grams of " + std::to_string(as_int(v, "order")) +
                       " calls; this build uses " + std::to_string(kProfileOrder)};
      } else if (key == "image") p.image = get_str(v, "image");
      else if (key == "image_id") p.image_id = get_str(v, "image_id");
      else if (key == "state") {
        const std::string s = get_str(v, "state");
        if (s == "stable") p.state = ProfileState::kStable;
        else if (s == "learning") p.state = ProfileState::kLearning;
        else return Error{"unknown profile state '" + s + "'"};
      } else if (key == "first_seen") p.first_seen = as_time(v, "first_seen");
      else if (key == "stable_since") p.stable_since = as_time(v, "stable_since");
      else if (key == "last_novelty") p.last_novelty = get_str(v, "last_novelty");
      else if (key == "seeded_from") p.seeded_from = get_str(v, "seeded_from");
      else if (key == "stable_reason") p.stable_reason = get_str(v, "stable_reason");
      else if (key == "calls") p.calls = static_cast<uint64_t>(as_int(v, "calls"));
      else if (key == "programs") {
        const auto& a = as_array(v, "programs");
        for (uint32_t j = 0; j < a.size; ++j) {
          ProgramProfile program = get_program(a.ptr[j]);
          ProgramKey pk{program.exe, program.comm};
          p.programs[pk] = std::move(program);
        }
      } else if (key == "execs") p.execs = get_set(v, "execs");
      else if (key == "files") p.files = get_set(v, "files");
      else if (key == "peers") p.peers = get_set(v, "peers");
    }
    if (!has_version) return Error{"not a profile (no version field)"};
    if (p.image_id.empty()) return Error{"profile has no image_id"};
    return p;
  } catch (const DecodeError& e) {
    return Error{"malformed profile: " + e.what};
  } catch (const std::exception& e) {
    return Error{std::string("malformed profile: ") + e.what()};
  }
}

}  // namespace da
