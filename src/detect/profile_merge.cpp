#include "detect/profile_merge.h"

#include <algorithm>

namespace da {
namespace {

void add_counts(NgramCounts& into, const NgramCounts& from) {
  for (const auto& [g, c] : from) into[g] += c;
}

}  // namespace

ImageProfile merge_learning(const std::vector<ImageProfile>& parts, int64_t now) {
  ImageProfile merged;
  if (parts.empty()) return merged;
  merged.image = parts.front().image;
  merged.image_id = parts.front().image_id;
  merged.first_seen = parts.front().first_seen;
  for (size_t host = 0; host < parts.size(); ++host) {
    const ImageProfile& part = parts[host];
    if (part.first_seen && (!merged.first_seen || part.first_seen < merged.first_seen))
      merged.first_seen = part.first_seen;
    if (merged.last_novelty.empty()) merged.last_novelty = part.last_novelty;
    if (merged.seeded_from.empty()) merged.seeded_from = part.seeded_from;
    merged.calls += part.calls;
    merged.execs.insert(part.execs.begin(), part.execs.end());
    merged.files.insert(part.files.begin(), part.files.end());
    merged.peers.insert(part.peers.begin(), part.peers.end());
    for (const auto& [key, program] : part.programs) {
      auto [it, fresh] = merged.programs.try_emplace(key);
      ProgramProfile& into = it->second;
      if (fresh) {
        into.exe = program.exe;
        into.comm = program.comm;
        into.sequence_novelty = program.sequence_novelty;
        into.resource_novelty = program.resource_novelty;
      } else {
        if (program.sequence_novelty.estimate(now) > into.sequence_novelty.estimate(now))
          into.sequence_novelty = program.sequence_novelty;
        if (program.resource_novelty.estimate(now) > into.resource_novelty.estimate(now))
          into.resource_novelty = program.resource_novelty;
      }
      into.calls += program.calls;
      add_counts(into.ngrams, program.ngrams);
      add_counts(into.holdout_ngrams, program.holdout_ngrams);
      // Thread ids of different hosts must not meet: a threshold's windows run per thread.
      for (HoldoutCall h : program.holdout) {
        h.tid = static_cast<int32_t>((static_cast<uint32_t>(host) << 22) | (static_cast<uint32_t>(h.tid) & 0x3fffff));
        into.holdout.push_back(h);
      }
    }
  }
  return merged;
}

}  // namespace da
