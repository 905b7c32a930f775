#pragma once
// When a profile has learned enough. A profile learns for at least `min_seconds`; then it is
// stable once, for every program still active, the estimated probability that its next call
// makes a syscall sequence it never made — and that its next file or network access is one it
// never made — is at most `novelty`. Programs idle for `idle_seconds` (start-up scripts, a
// finished job) no longer hold learning back. After `max_seconds` the profile is stable anyway,
// and says which program had not converged.
//
// The estimate is the novel share of the program's recent window (NoveltyWindow): the rare
// benign novelty left once it is low is absorbed by the scorer's calibrated threshold and by the
// generalised files and peers, not alerted one by one.
#include <cstdint>
#include <string>

namespace da {

struct ImageProfile;

struct LearningSettings {
  int64_t min_seconds = 4 * 3600;
  int64_t max_seconds = 24 * 3600;
  double novelty = 1e-3;
  int64_t idle_seconds = 120;
};

// Window sizes: sequences over a program's last 20,000 calls, files and peers over its last
// 1,000 accesses; both over at most the last kNoveltySpanSeconds.
constexpr uint32_t kSequenceBlockEvents = 2500;
constexpr uint32_t kResourceBlockEvents = 125;
constexpr int64_t kNoveltySpanSeconds = 300;

struct Convergence {
  double estimate = 1;     // the highest estimate among active programs (0 if none is active)
  std::string worst;       // which program and what: "postgres sequences", "nginx files and peers"
  size_t active_programs = 0;
  bool converged = false;  // estimate <= level
};
Convergence convergence(const ImageProfile& p, const LearningSettings& s, int64_t now);

// Should a learning profile become stable now? Sets `reason` to why.
bool ready_to_stabilize(const ImageProfile& p, const LearningSettings& s, int64_t now, std::string& reason);

// Learning progress in [0, 1] and in words:
// "3m0s of 3m0s watched, P(new) 2.1e-03 of 1.0e-03 (postgres sequences); stable at 24h0m anyway"
double learning_progress(const ImageProfile& p, const LearningSettings& s, int64_t now);
std::string learning_progress_text(const ImageProfile& p, const LearningSettings& s, int64_t now);
std::string format_duration(int64_t seconds);
std::string format_probability(double p);

}  // namespace da
