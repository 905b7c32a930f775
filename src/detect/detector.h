#pragma once
// The live engine: learns each image's profile from its containers' events, and once the
// profile is stable scores every call against it, reporting anomalies with explanations.
//
// Single-threaded by design (the consumer thread calls it); all state is per image, per
// program and per thread. It depends on events and container metadata only, not on capture.
#include <array>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/container_meta.h"
#include "core/kernel_judge.h"
#include "core/syscall_event.h"
#include "detect/adopted_windows.h"
#include "detect/anomaly.h"
#include "detect/event_resources.h"
#include "detect/indicators.h"
#include "detect/process_table.h"
#include "detect/profile.h"
#include "detect/profile_store.h"
#include "detect/threshold.h"

namespace da {

struct DetectorConfig {
  LearningSettings learning;
  int window = 16;             // locality window: calls whose mean surprise is compared
  float max_call_surprise = 12;  // one call's share of the window is clipped to this (nats)
  ThresholdSettings threshold;   // per program, from held-back learning data (detect/threshold.h)
  bool seed_from_previous_tag = false;
  int64_t save_interval_seconds = 10;
  int64_t progress_interval_seconds = 60;
};

struct ProfileSummary {
  std::string image, image_id;
  ProfileState state;
  double progress;
  std::string progress_text;
  size_t programs;
  uint64_t ngrams, calls;
  size_t execs, files, peers;
  double novelty_estimate;  // P(new) of the least converged active program (learning.h)
};
ProfileSummary summarize(const ImageProfile& p, const LearningSettings& s, int64_t now);

class Detector {
 public:
  using AnomalySink = std::function<void(const Anomaly&)>;
  using Log = std::function<void(const std::string&)>;
  using Clock = std::function<int64_t()>;  // unix seconds

  // `store` may be null (nothing persisted). `clock` defaults to the wall clock.
  Detector(DetectorConfig config, const ProfileStore* store, AnomalySink anomalies, Log log,
           Clock clock = {});
  ~Detector();

  void observe(const SyscallEvent& event, const std::string& host, const ContainerMeta& container);
  // Lifecycle (learning -> stable), periodic saving, progress lines, noticing reset/import.
  void tick();
  // Writes every changed profile (at exit). Returns one line per profile that is still not on
  // disk after this last try (say, the disk is full), so the caller can say so and fail.
  std::vector<std::string> save_all();

  std::vector<ProfileSummary> summaries() const;
  uint64_t anomalies_reported() const { return anomalies_; }
  // SIGHUP: the floor applies to thresholds calibrated from now on (profiles that become stable
  // later) and to stable profiles whose models are built again (loaded, imported, allowed); a
  // threshold is never lowered by it.
  void set_threshold_floor(double floor) { config_.threshold.floor = floor; }
  // Lesser novelties of a process already reported as a new program, folded into that report.
  uint64_t anomalies_folded() const { return folded_; }
  // Windows over their threshold made only of sequences seen while learning: not reported.
  uint64_t rare_windows_not_reported() const { return rare_windows_not_reported_; }
  // Handed-over runs of kernel-judged calls whose window was recalled (AdoptedWindows), not rescored.
  uint64_t windows_recalled() const { return windows_recalled_; }
  // Partitioned detection (several detectors, each holding some images): profiles move between
  // detectors. The profiles `select` accepts that changed since the last call (all of them with
  // `everything`); pointers valid until the next observe/tick.
  std::vector<const ImageProfile*> take_changed(const std::function<bool(const std::string&)>& select,
                                                bool everything);
  // Takes a profile over as saved by its previous detector, or as the fleet merged it
  // (replacing what we had of it); `save` writes it to this detector's store too.
  void adopt(ImageProfile profile, bool save = false);
  // Forgets images handed to another detector: their next events would start them anew.
  void forget(const std::function<bool(const std::string&)>& select);
  // Test hook: the profile of an image, or null.
  const ImageProfile* profile(const std::string& image_id) const;
  // In-kernel judging (eBPF, detector in the capturing process): stable programs' known
  // sequences go to `judge`, and their threads are registered with it, so that calls the
  // detector could do nothing with never leave the kernel. Alerts stay the same: the kernel
  // judges a call only when the detector would neither alarm nor leave an alarm on it, and says
  // how many it judged before the thread's next event (SyscallEvent::judged).
  void judge_in_kernel(KernelJudge* judge);

 private:
  struct ImageState {
    ImageProfile profile;
    bool dirty = false;    // not saved in the state dir yet
    bool changed = false;  // changed since take_changed last returned it
    std::optional<std::filesystem::file_time_type> saved_mtime;  // of the file we wrote/read
    int64_t last_save = 0;
    int64_t last_progress = 0;
    // Failed saves in a row and the last reason: retried every interval, reported loudly on
    // the first failure, on a new reason and about once a minute, and when it works again.
    int64_t save_failures = 0;
    std::string save_error;
  };
  struct ThreadState {
    int32_t pid = 0;
    ImageState* image = nullptr;
    ProgramKey key;
    ProgramProfile* program = nullptr;  // null: a program the stable profile does not know
    std::array<int32_t, kProfileOrder - 1> history{};
    // Locality window: the last `window` surprises and the calls behind them.
    std::vector<float> surprises;
    std::vector<int32_t> calls;  // the last window + order - 1 calls, ring
    // Which of the window's calls ended a 6-gram never seen while learning, and how many did.
    std::vector<uint8_t> unseen;
    int unseen_in_window = 0;
    uint64_t scored = 0;         // calls scored since the thread (re)started: ring positions
    double sum = 0;
    bool alarmed = false;
    int64_t last_seen = 0;
    uint32_t epoch = 0;        // the kernel's sequence epoch at its last event (eBPF)
    uint32_t judge_epoch = 0;  // the epoch and name it was registered with (0: none)
    std::string judge_comm;
    // Its history and the kernel's did not start over together: never judged until both do
    // (an exec), so the two cannot part.
    bool judge_refused = false;
  };
  ImageState& image_for(const ContainerMeta& container);
  ImageState& find_or_load_image(const ContainerMeta& container);
  // `repeat`: the same call as the thread's previous one; runs count once in the sequences.
  void learn(ImageState& image, ThreadState& thread, const SyscallEvent& e, bool repeat,
             std::span<const Resource> resources, int64_t now);
  // One call (not a repeat) into the thread's program's sequences; the history is not moved.
  void learn_sequence(ImageState& image, ThreadState& thread, int32_t tid, int32_t call, int64_t now);
  // Learns the calls the kernel held back for a learning program (all of them: at most
  // JudgedCalls::kRecent), moving the history over them.
  void learn_judged(ImageState& image, ThreadState& thread, int32_t tid, const JudgedCalls& judged, int64_t now);
  void detect(ImageState& image, ThreadState& thread, ProcessState& process, const SyscallEvent& e,
              bool repeat, std::span<const Resource> resources, const std::string& host,
              const ContainerMeta& container);
  void stabilize(ImageState& image, const std::string& reason);
  void build_models(ImageProfile& profile);
  void report(Anomaly anomaly, const SyscallEvent& e, const std::string& host,
              const ContainerMeta& container, const ImageState& image, ProcessState& process);
  void report_indicator(IndicatorHit hit, const SyscallEvent& e, const std::string& host,
                        const ContainerMeta& container, const ImageState& image,
                        ProcessState& process, std::span<const Resource> resources);
  void note_novelty(ImageState& image, const std::string& what);
  void mark_changed(ImageState& image);
  void forget_threads_of(const ImageState& image);
  void reset_thread(ThreadState& thread, ImageState& image, const ProgramKey& key);
  void save(ImageState& image);
  // In-kernel judging: programs to the judge as they become stable (or as learning ones while
  // they learn), back before they go or change state.
  void judge_programs_of(ImageProfile& profile);
  void release_judged(ImageProfile& profile);
  void register_with_judge(ThreadState& thread, const SyscallEvent& e);
  // An open of a file the profile knows, which nothing here would act on: the kernel side may
  // treat the next ones like sequence-only calls (KernelJudge::add_known_open).
  void offer_known_open(const ThreadState& thread, const SyscallEvent& e, std::span<const Resource> resources);
  // Carries a thread on over calls the kernel judged: its history, count and window.
  void adopt_judged(ThreadState& thread, const JudgedCalls& judged);

  DetectorConfig config_;
  const ProfileStore* store_;
  AnomalySink anomalies_sink_;
  Log log_;
  Clock clock_;
  std::unordered_map<std::string, std::unique_ptr<ImageState>> images_;  // by image id
  ImageState* last_image_ = nullptr;  // image_for's answer for last_image_id_
  std::string last_image_id_;
  std::unordered_map<int32_t, ThreadState> threads_;                      // by host tid
  ProcessTable processes_;
  ResourceScanner resource_scanner_;  // the current event's resource, its buffers kept
  int64_t last_tick_ = 0;
  int64_t last_purge_ = 0;
  uint64_t anomalies_ = 0;
  uint64_t folded_ = 0;
  uint64_t rare_windows_not_reported_ = 0;
  KernelJudge* judge_ = nullptr;
  std::unordered_map<const ProgramProfile*, uint32_t> judged_ids_;  // the judge's program ids (stable or learning)
  bool judge_full_reported_ = false;
  AdoptedWindows adopted_windows_;  // forgotten whenever programs' models change or go
  uint64_t windows_recalled_ = 0;
};

}  // namespace da
