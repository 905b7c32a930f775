#pragma once
// Partitioning of the Redis event stream: every event of one image goes to the same shard, so
// the one detector that holds the shard sees all of that image's events and learns its whole
// profile (issue 13). A shard is a stream of its own: "<stream>" when there is one shard (the
// layout of a single detector, unchanged), "<stream>:<k>" when there are several.
#include <cstdint>
#include <string>
#include <string_view>

namespace da {

constexpr uint32_t kMaxShards = 1024;

// FNV-1a, then MurmurHash3's finaliser: stable across hosts, builds and restarts (std::hash is
// none of these), so every agent and detector agrees where an image belongs. The finaliser
// matters: FNV's low bits barely mix, and "% 4" reads only those. Host commands go to 0.
inline uint32_t shard_of(std::string_view image_id, uint32_t shards) {
  if (shards <= 1 || image_id.empty()) return 0;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : image_id) h = (h ^ c) * 0x100000001b3ULL;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return static_cast<uint32_t>(h % shards);
}

inline std::string shard_stream(const std::string& stream, uint32_t shard, uint32_t shards) {
  return shards <= 1 ? stream : stream + ":" + std::to_string(shard);
}

// Keys a detector keeps beside each shard (all under the stream's name, so one ACL key
// pattern covers them): who holds it, how far its state is saved, and that state.
inline std::string shard_lease_key(const std::string& shard_stream) { return shard_stream + ":lease"; }
inline std::string shard_checkpoint_key(const std::string& shard_stream) { return shard_stream + ":checkpoint"; }
inline std::string shard_profiles_key(const std::string& shard_stream) { return shard_stream + ":profiles"; }
// The live detectors of a stream: a sorted set, member = detector name, score = expiry (ms).
inline std::string detectors_key(const std::string& stream) { return stream + ":detectors"; }

}  // namespace da
