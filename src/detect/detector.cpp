#include "detect/detector.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/clock.h"
#include "detect/event_resources.h"
#include "detect/indicators.h"
#include "detect/learned_set.h"
#include "detect/sequence_only.h"
#include "syscalls/syscall_table.h"

namespace da {
namespace {

constexpr uint64_t kSegmentCalls = 256;   // learning data is split in segments of this many calls
constexpr size_t kHoldoutCap = 80 * kSegmentCalls;  // held-back calls kept per program (80 segments)
constexpr int kHoldoutEvery = 5;          // one segment in five is held back
constexpr int64_t kThreadIdleSeconds = 600;
constexpr int64_t kIndicatorRepeatSeconds = 300;  // the alert gate's default window

LearnedSet& set_for(ImageProfile& p, AnomalyKind kind) {
  return kind == AnomalyKind::kProgram ? p.execs : kind == AnomalyKind::kFile ? p.files : p.peers;
}


NgramKey to_key(const std::array<int32_t, kProfileOrder - 1>& history, int32_t next) {
  // Packed in registers and stored whole: six 2-byte stores read back at once by the hash
  // stalled every learned call (a store cannot be forwarded to a wider load).
  static_assert(kProfileOrder == 6);
  auto bits = [](int32_t call) { return uint64_t{static_cast<uint16_t>(call)}; };
  const uint64_t low = bits(history[0]) | bits(history[1]) << 16 | bits(history[2]) << 32 | bits(history[3]) << 48;
  const uint32_t high = static_cast<uint32_t>(bits(history[4]) | bits(next) << 16);
  NgramKey key;
  std::memcpy(key.calls.data(), &low, sizeof low);
  std::memcpy(key.calls.data() + 4, &high, sizeof high);
  return key;
}

// The history moves on by one call (a fixed-size shift: std::rotate's general loop showed in
// profiles of learning).
void push_call(std::array<int32_t, kProfileOrder - 1>& history, int32_t call) {
  for (size_t i = 0; i + 1 < history.size(); ++i) history[i] = history[i + 1];
  history.back() = call;
}

// Segments of a program's calls, one in five held back to set the threshold on, the rest
// fitted. Once the held-back store is full, a new held-back segment replaces a stored one with
// probability slots/k (reservoir sampling over segments), so the threshold sees the whole
// learning period, not its first seconds: a busy redis fills the store within seconds of
// start-up. A replaced call goes back to the fitted data: nothing learned is lost.
// Returns whether the n-gram was new to the program (in neither set before). A fitted call,
// the common case, costs one lookup (two when new): this runs for every call learned.
bool fit_or_hold_back(ProgramProfile& program, int32_t tid, const NgramKey& ngram) {
  auto fitted = [&] {
    auto [it, inserted] = program.ngrams.try_emplace(ngram, 0);
    ++it->second;
    return inserted && !program.holdout_ngrams.count(ngram);
  };
  const uint64_t segment = program.calls / kSegmentCalls;
  if (segment % kHoldoutEvery != kHoldoutEvery - 1) return fitted();
  auto known = [&] { return program.ngrams.count(ngram) || program.holdout_ngrams.count(ngram); };
  if (program.holdout.size() < kHoldoutCap) {
    const bool novel = !known();
    program.holdout.push_back({tid, ngram});
    ++program.holdout_ngrams[ngram];
    return novel;
  }
  if (program.calls % kSegmentCalls == 0 || program.holdout_slot == kSlotUndecided) {
    // A hash of the segment's number stands in for a random draw: reproducible runs.
    const uint64_t seen = segment / kHoldoutEvery + 1;
    const uint64_t draw = ((segment + 1) * 0x9e3779b97f4a7c15ULL >> 11) % seen;
    program.holdout_slot = draw < kHoldoutCap / kSegmentCalls ? draw * kSegmentCalls : kSlotNone;
  }
  if (program.holdout_slot >= kHoldoutCap) return fitted();  // this segment is not kept
  const bool novel = !known();
  HoldoutCall& replaced = program.holdout[program.holdout_slot++];
  auto it = program.holdout_ngrams.find(replaced.ngram);
  if (it != program.holdout_ngrams.end() && --it->second == 0) program.holdout_ngrams.erase(it);
  ++program.ngrams[replaced.ngram];
  replaced = {tid, ngram};
  ++program.holdout_ngrams[ngram];
  if (program.holdout_slot % kSegmentCalls == 0) program.holdout_slot = kSlotNone;  // slot filled
  return novel;
}

std::shared_ptr<const NgramModel> fit(const NgramCounts& counts, const NgramCounts* extra) {
  auto model = std::make_shared<NgramModel>(kProfileOrder);
  int32_t calls[kProfileOrder];
  auto add = [&](const NgramCounts& c) {
    for (const auto& [key, count] : c) {
      for (int i = 0; i < kProfileOrder; ++i) calls[i] = key.calls[i];
      model->add_ngram(calls, count);
    }
  };
  add(counts);
  if (extra) add(*extra);
  model->finalize();
  return model;
}

}  // namespace

ProfileSummary summarize(const ImageProfile& p, const LearningSettings& s, int64_t now) {
  ProfileSummary out{p.image, p.image_id, p.state, learning_progress(p, s, now),
                     learning_progress_text(p, s, now), p.programs.size(), distinct_ngrams(p),
                     p.calls, p.execs.size(), p.files.size(), p.peers.size(),
                     convergence(p, s, now).estimate};
  return out;
}

Detector::Detector(DetectorConfig config, const ProfileStore* store, AnomalySink anomalies, Log log,
                   Clock clock)
    : config_(config), store_(store), anomalies_sink_(std::move(anomalies)), log_(std::move(log)),
      clock_(clock ? std::move(clock) : Clock(unix_seconds_coarse)) {
  config_.window = std::max(1, config_.window);
}

Detector::~Detector() = default;

const ImageProfile* Detector::profile(const std::string& image_id) const {
  auto it = images_.find(image_id);
  return it == images_.end() ? nullptr : &it->second->profile;
}

std::vector<ProfileSummary> Detector::summaries() const {
  std::vector<ProfileSummary> out;
  const int64_t now = clock_();
  for (const auto& [id, image] : images_) out.push_back(summarize(image->profile, config_.learning, now));
  return out;
}

Detector::ImageState& Detector::image_for(const ContainerMeta& container) {
  // Events come in runs of one container: the last image answers most calls without hashing
  // its id (only forget() removes image states, and it clears this pointer).
  if (last_image_ && container.image_id == last_image_id_) return *last_image_;
  ImageState& found = find_or_load_image(container);
  last_image_ = &found;
  last_image_id_ = container.image_id;
  return found;
}

Detector::ImageState& Detector::find_or_load_image(const ContainerMeta& container) {
  auto it = images_.find(container.image_id);
  if (it != images_.end()) return *it->second;
  auto state = std::make_unique<ImageState>();
  const int64_t now = clock_();
  bool loaded = false;
  if (store_) {
    if (auto stored = store_->load(container.image_id)) {
      if (*stored) {
        state->profile = std::move(stored->value());
        state->saved_mtime = store_->modified(container.image_id);
        build_models(state->profile);
        loaded = true;
        log_("profile of " + state->profile.image + " loaded: " + state_name(state->profile.state) +
             ", " + learning_progress_text(state->profile, config_.learning, now));
      } else {
        // Keep the unreadable file for inspection instead of overwriting hours of learning.
        const auto path = store_->path_for(container.image_id);
        std::error_code ec;
        std::filesystem::rename(path, path.string() + ".unreadable", ec);
        log_("warning: " + stored->error().message + "; kept as " + path.string() +
             ".unreadable, learning anew");
      }
    }
  }
  if (!loaded) {
    ImageProfile& p = state->profile;
    p.image = container.image;
    p.image_id = container.image_id;
    p.first_seen = now;
    if (config_.seed_from_previous_tag) {
      // Start from the newest profile of another tag of the same repository.
      const ImageProfile* seed = nullptr;
      for (const auto& [id, other] : images_)
        if (image_repository(other->profile.image) == image_repository(p.image) &&
            (!seed || other->profile.first_seen > seed->first_seen))
          seed = &other->profile;
      std::optional<ImageProfile> from_disk;
      if (!seed && store_) {
        for (const auto& file : store_->files()) {
          auto other = store_->load_file(file);
          if (other && other->image_id != p.image_id &&
              image_repository(other->image) == image_repository(p.image) &&
              (!from_disk || other->first_seen > from_disk->first_seen))
            from_disk = std::move(other.value());
        }
        if (from_disk) seed = &*from_disk;
      }
      if (seed) {
        p.programs = seed->programs;
        for (auto& [key, program] : p.programs) {
          program.model.reset();
          program.threshold = 0;
        }
        adopted_windows_.forget();
        p.execs = seed->execs;
        p.files = seed->files;
        p.peers = seed->peers;
        p.seeded_from = seed->image;
      }
    }
    mark_changed(*state);
    log_("learning the normal behaviour of " + p.image + " (" + p.image_id.substr(0, 19) + ")" +
         (p.seeded_from.empty() ? "" : ", starting from the profile of " + p.seeded_from));
  }
  state->last_progress = now;
  return *images_.emplace(container.image_id, std::move(state)).first->second;
}

void Detector::reset_thread(ThreadState& thread, ImageState& image, const ProgramKey& key) {
  thread.image = &image;
  thread.key = key;
  thread.history.fill(NgramModel::kStart);
  thread.surprises.assign(config_.window, 0.f);
  thread.unseen.assign(config_.window, 0);
  thread.unseen_in_window = 0;
  thread.calls.assign(config_.window + kProfileOrder - 1, NgramModel::kStart);
  thread.scored = 0;
  thread.sum = 0;
  thread.alarmed = false;
  auto it = image.profile.programs.find(key);
  if (it != image.profile.programs.end()) {
    thread.program = &it->second;
  } else if (image.profile.state == ProfileState::kLearning) {
    ProgramProfile& program = image.profile.programs[key];
    program.exe = key.first;
    program.comm = key.second;
    thread.program = &program;
    note_novelty(image, "program " + key.second + " (" + key.first + ")");
  } else {
    thread.program = nullptr;
  }
}

void Detector::observe(const SyscallEvent& e, const std::string& host,
                       const ContainerMeta& container) {
  // Host commands (trace) and containers whose image is unknown have no profile to judge by.
  if (container.image_id.empty() || e.syscall_nr < 0 || e.syscall_nr >= kMaxSyscallNr) return;
  ImageState& image = image_for(container);
  const int64_t now = clock_();

  const ProcessUpdate update = processes_.update(e, now);
  ProcessState& process = *update.process;
  ThreadState& thread = threads_[e.tid];
  thread.pid = e.pid;
  thread.last_seen = now;
  // A new program starts with an empty history, as each trace does in training. (Compared in
  // place: building the key would copy two strings per syscall.)
  const bool restarted = update.exec_done || thread.image != &image || thread.key.first != e.exe ||
                         thread.key.second != process.program;
  // The kernel's sequence of a thread starts over with a new epoch (its first call, an exec).
  // Judged only while both histories start at the same call: a restart on one side alone (a
  // recycled thread id) keeps the thread sent whole until its next exec.
  const bool kernel_restarted = e.thread_epoch != thread.epoch;
  // An exec's event carries the calls the kernel held back for the old program to learn: they
  // go to it before the thread starts over (if both sides followed it under its epoch).
  if (e.judged.count && (restarted || kernel_restarted) && thread.image == &image && thread.program &&
      thread.judge_epoch == thread.epoch && image.profile.state == ProfileState::kLearning)
    learn_judged(image, thread, e.tid, e.judged, now);
  thread.epoch = e.thread_epoch;
  if (restarted) {
    reset_thread(thread, image, ProgramKey{e.exe, process.program});
    thread.judge_refused = !kernel_restarted;
  } else if (kernel_restarted) {
    thread.judge_refused = true;
  } else if (e.judged.count) {
    if (image.profile.state == ProfileState::kLearning) learn_judged(image, thread, e.tid, e.judged, now);
    else adopt_judged(thread, e.judged);
  }

  const std::span<const Resource> resources = resource_scanner_.scan(e, process.cwd);
  // Indicators first: they judge against what was learned before this event, and they run
  // whatever the profile's state.
  for (auto& hit : check_indicators(e, update, resources, image.profile.execs))
    report_indicator(std::move(hit), e, host, container, image, process, resources);

  // A run of one call is one call in the sequence model: how often a thread calls futex while
  // it waits for a lock, or read until a buffer is drained, is scheduling, not behaviour — and
  // it made every busy multi-threaded program (Python, postgres) look new for ever.
  const bool repeat = e.syscall_nr == thread.history.back();
  if (image.profile.state == ProfileState::kLearning)
    learn(image, thread, e, repeat, resources, now);
  else
    detect(image, thread, process, e, repeat, resources, host, container);
  // Registered with the kernel side (as a learning or a stable program) once per epoch, and
  // again after a rename (prctl, a busybox applet run without exec): the kernel side follows a
  // thread only under the name it was registered with.
  if (judge_ && (thread.judge_epoch != e.thread_epoch || thread.judge_comm != e.comm)) register_with_judge(thread, e);
  if (judge_ && is_path_and_flags_open(e.syscall_nr)) offer_known_open(thread, e, resources);

  if (!repeat) {
    push_call(thread.history, e.syscall_nr);
  }

  if (e.syscall_nr == SYS_exit) {
    if (judge_ && thread.judge_epoch) judge_->forget_thread(e.tid);
    threads_.erase(e.tid);
  } else if (e.syscall_nr == SYS_exit_group) {
    std::erase_if(threads_, [&](const auto& t) {
      if (t.second.pid != e.pid) return false;
      if (judge_ && t.second.judge_epoch) judge_->forget_thread(t.first);
      return true;
    });
    processes_.exited(e);
  }
}

void Detector::mark_changed(ImageState& image) {
  image.dirty = true;
  image.changed = true;
}

std::vector<const ImageProfile*> Detector::take_changed(
    const std::function<bool(const std::string&)>& select, bool everything) {
  std::vector<const ImageProfile*> out;
  for (auto& [id, image] : images_) {
    if (!(image->changed || everything) || !select(id)) continue;
    image->changed = false;
    out.push_back(&image->profile);
  }
  return out;
}

void Detector::adopt(ImageProfile profile, bool save) {
  const std::string id = profile.image_id;
  auto& slot = images_[id];
  if (!slot) slot = std::make_unique<ImageState>();
  forget_threads_of(*slot);
  release_judged(slot->profile);
  slot->profile = std::move(profile);
  build_models(slot->profile);
  slot->dirty = save;
  if (save) slot->last_save = 0;  // at the next tick, not a save interval later
  slot->changed = false;
  slot->last_progress = clock_();
  log_("profile of " + slot->profile.image + " taken over: " + state_name(slot->profile.state) + ", " +
       learning_progress_text(slot->profile, config_.learning, clock_()));
}

void Detector::forget(const std::function<bool(const std::string&)>& select) {
  for (auto it = images_.begin(); it != images_.end();) {
    if (!select(it->first)) {
      ++it;
      continue;
    }
    forget_threads_of(*it->second);
    release_judged(it->second->profile);
    if (last_image_ == it->second.get()) last_image_ = nullptr;
    adopted_windows_.forget();  // its models go with it
    it = images_.erase(it);
  }
}

void Detector::note_novelty(ImageState& image, const std::string& what) {
  image.profile.last_novelty = what;
  mark_changed(image);
}

void Detector::learn(ImageState& image, ThreadState& thread, const SyscallEvent& e, bool repeat,
                     std::span<const Resource> resources, int64_t now) {
  ImageProfile& profile = image.profile;
  ProgramProfile& program = *thread.program;  // learning always has one
  for (auto& r : resources) {
    const bool new_resource = learn_resource(set_for(profile, r.kind), r.kind, r.key);
    program.resource_novelty.observe(new_resource, now);
    if (new_resource) note_novelty(image, r.key);
  }
  if (repeat) return;
  learn_sequence(image, thread, e.tid, e.syscall_nr, now);
}

void Detector::learn_sequence(ImageState& image, ThreadState& thread, int32_t tid, int32_t call, int64_t now) {
  ImageProfile& profile = image.profile;
  ProgramProfile& program = *thread.program;
  const NgramKey ngram = to_key(thread.history, call);
  ++profile.calls;
  ++program.calls;
  const bool novel = fit_or_hold_back(program, tid, ngram);
  program.sequence_novelty.observe(novel, now);
  mark_changed(image);
  if (novel) note_novelty(image, "a syscall sequence of " + program.comm);
}

void Detector::learn_judged(ImageState& image, ThreadState& thread, int32_t tid, const JudgedCalls& judged,
                            int64_t now) {
  constexpr int kRecent = JudgedCalls::kRecent;
  if (!thread.program || judged.count > kRecent) {
    // Judged by a stable program's rules just before the profile went back to learning: more
    // than the event carries. Those calls are not learned; the history carries on after them.
    constexpr int kContext = kProfileOrder - 1;
    for (int i = 0; i < kContext; ++i) {
      const int16_t call = judged.recent[kRecent - kContext + i];
      thread.history[i] = call >= 0 ? int32_t{call} : NgramModel::kStart;
    }
    return;
  }
  // Held back for learning: the last `count` calls the event carries, each following the one
  // before (the kernel counts a run once, as the detector does), in order.
  for (int i = kRecent - static_cast<int>(judged.count); i < kRecent; ++i) {
    const int32_t call = judged.recent[i];
    if (call < 0 || call == thread.history.back()) continue;
    // Held back, an open was of a file the profile knew (offer_known_open): nothing new.
    if (is_path_and_flags_open(call)) thread.program->resource_novelty.observe(false, now);
    learn_sequence(image, thread, tid, call, now);
    push_call(thread.history, call);
  }
}

void Detector::detect(ImageState& image, ThreadState& thread, ProcessState& process,
                      const SyscallEvent& e, bool repeat, std::span<const Resource> resources,
                      const std::string& host, const ContainerMeta& container) {
  ImageProfile& profile = image.profile;
  if (!thread.program && process.reported.insert("program").second) {
    Anomaly a;
    a.kind = AnomalyKind::kProgram;
    a.severity = Severity::kHigh;
    a.subject = e.exe;
    a.explanation = process.program + " (" + e.exe + ") is a program " + profile.image +
                    " never ran while its profile was learned";
    report(std::move(a), e, host, container, image, process);
  }
  for (auto& r : resources) {
    // A new path to a known binary and name is not a new program; new programs are caught by
    // their (exe, name) above.
    if (r.kind == AnomalyKind::kProgram || covers(set_for(profile, r.kind), r.kind, r.key)) continue;
    if (!process.reported.insert(r.key).second) continue;  // once per process and thing
    Anomaly a;
    a.kind = r.kind;
    if (r.kind == AnomalyKind::kFile) {
      a.severity = is_sensitive_file(r.key) ? Severity::kHigh : Severity::kMedium;
      a.subject = r.key.substr(r.key.find(' ') + 1);
      a.explanation = process.program + " opened " + describe_file(r.key) + (e.ret < 0 ? " (refused)" : "") +
                      "; " + profile.image + " never did while its profile was learned";
    } else {
      a.severity = Severity::kMedium;
      a.subject = r.key;
      a.explanation = process.program + " used a network address never seen while learning " +
                      profile.image + ": " + r.key;
    }
    // A new program's every file and peer is new: only the serious ones add to its report.
    if (process.reported.count("program") && a.severity != Severity::kHigh) {
      ++folded_;
      continue;
    }
    report(std::move(a), e, host, container, image, process);
  }

  if (!thread.program || !thread.program->model) return;
  if (repeat) return;
  const ProgramProfile& program = *thread.program;
  // Clipped, so one never-seen call cannot fill the window alone: it takes a burst.
  bool seen;
  const float surprise = std::min(
      program.model->surprise_after(thread.history.data(), e.syscall_nr, seen), config_.max_call_surprise);
  const size_t window = thread.surprises.size();
  const size_t ring = thread.calls.size();
  const uint64_t now_at = thread.scored++;
  thread.sum += surprise - thread.surprises[now_at % window];
  thread.surprises[now_at % window] = surprise;
  thread.unseen_in_window += !seen - thread.unseen[now_at % window];
  thread.unseen[now_at % window] = !seen;
  thread.calls[now_at % ring] = e.syscall_nr;
  if (thread.scored < window) return;
  const double mean = thread.sum / static_cast<double>(window);
  if (thread.alarmed) {
    // Re-arm only once the thread is back to normal, so one burst is one report.
    if (mean < program.threshold / 2) thread.alarmed = false;
    return;
  }
  if (mean <= program.threshold) return;
  // A window of calls each learned after the calls before it, only rarer together than usual
  // (a server's accept and its timer's file read), is still the program's own behaviour: a
  // sequence anomaly needs a sequence the program never made (docs/detection.md, Scoring).
  if (thread.unseen_in_window == 0) {
    ++rare_windows_not_reported_;
    return;
  }
  thread.alarmed = true;
  // Name the most surprising call of the window with the calls before it.
  uint64_t worst = thread.scored - window;
  for (uint64_t at = worst + 1; at < thread.scored; ++at)
    if (thread.surprises[at % window] > thread.surprises[worst % window]) worst = at;
  Anomaly a;
  a.kind = AnomalyKind::kSequence;
  a.severity = mean > 2 * program.threshold ? Severity::kHigh : Severity::kMedium;
  a.score = mean;
  a.threshold = program.threshold;
  for (int64_t at = static_cast<int64_t>(worst) - (kProfileOrder - 1);
       at <= static_cast<int64_t>(worst); ++at)
    if (at >= 0) a.sequence.emplace_back(syscall_name(thread.calls[at % ring]));
  std::string seq;
  for (const auto& s : a.sequence) seq += (seq.empty() ? "" : " ") + s;
  a.subject = seq;
  char numbers[160];
  std::snprintf(numbers, sizeof numbers,
                "mean surprise %.2f over its last %zu calls (threshold %.2f), %d of them never seen after the calls before",
                mean, window, program.threshold, thread.unseen_in_window);
  a.explanation = e.comm + " made syscall sequences never seen while learning " + profile.image +
                  ": " + numbers + "; most unusual: " + seq;
  report(std::move(a), e, host, container, image, process);
}

void Detector::report(Anomaly a, const SyscallEvent& e, const std::string& host,
                      const ContainerMeta& container, const ImageState& image,
                      ProcessState& process) {
  a.time_ns = e.timestamp_ns;
  a.host = host;
  a.container_id = e.container_id;
  a.container_name = container.name;
  a.image = container.image;
  a.image_id = container.image_id;
  a.container_labels = container.labels;
  a.process.pid = e.pid;
  a.process.tid = e.tid;
  a.process.ns_pid = e.ns_pid;
  a.process.ppid = e.ppid;
  a.process.uid = e.uid;
  a.process.comm = e.comm;
  a.process.exe = e.exe;
  a.process.cmdline = process.cmdline;
  a.process.parents = processes_.parent_chain(e.ppid);
  if (a.kind != AnomalyKind::kSequence) {  // no score: one new thing, or an indicator
    a.score = 1;
    a.threshold = 0;
  }
  a.profile_state = std::string(state_name(image.profile.state)) + ", " +
                    learning_progress_text(image.profile, config_.learning, clock_());
  ++anomalies_;
  anomalies_sink_(a);
}

void Detector::report_indicator(IndicatorHit hit, const SyscallEvent& e, const std::string& host,
                                const ContainerMeta& container, const ImageState& image,
                                ProcessState& process, std::span<const Resource> resources) {
  // Once per process, rule and subject within kIndicatorRepeatSeconds: a long-lived server
  // attacked again later (redis made to write authorized_keys twice, half an hour apart) is
  // reported again, while one attack's burst of events (three dup2 onto stdio, a shell's
  // repeated terminal queries) is one alert.
  const int64_t now = clock_();
  auto [last, fresh] = process.indicated.try_emplace(hit.rule + " " + hit.subject, now);
  if (!fresh && now - last->second < kIndicatorRepeatSeconds) return;
  last->second = now;
  // What the indicator reported is not reported again by the profile: the exec's program,
  // the file written.
  if (e.syscall_nr == SYS_execve || e.syscall_nr == SYS_execveat) process.reported.insert("program");
  for (const auto& r : resources) process.reported.insert(r.key);
  Anomaly a;
  a.kind = AnomalyKind::kIndicator;
  a.indicator = hit.rule;
  a.severity = hit.severity;
  a.subject = hit.subject;
  a.explanation = hit.explanation;
  report(std::move(a), e, host, container, image, process);
}

void Detector::build_models(ImageProfile& profile) {
  if (profile.state != ProfileState::kStable) return;
  adopted_windows_.forget();
  for (auto& [key, program] : profile.programs) {
    if (!program.ngrams.empty()) program.model = fit(program.ngrams, nullptr);
    // A profile calibrated under a lower floor (an older version's 2.0, or a lower
    // --min-threshold then) is raised to the floor in force when loaded: "never below" holds
    // for every profile, not only the ones that become stable from now on.
    program.threshold = std::max(program.threshold, config_.threshold.floor);
  }
  if (judge_) judge_programs_of(profile);
}

// ---- In-kernel judging ----

void Detector::judge_in_kernel(KernelJudge* judge) {
  static_assert(KernelJudge::kOrder == kProfileOrder && JudgedCalls::kRecent == KernelJudge::kWindow + kProfileOrder - 1);
  if (!judge) return;
  if (config_.window != KernelJudge::kWindow) {
    log_("syscall sequences are not judged in the kernel: it keeps a window of " +
         std::to_string(KernelJudge::kWindow) + " calls, this detector " + std::to_string(config_.window));
    return;
  }
  judge_ = judge;
  judge_->set_sequence_only(sequence_only_calls());
  for (auto& [id, image] : images_) judge_programs_of(image->profile);
}

void Detector::judge_programs_of(ImageProfile& profile) {
  if (!judge_ || profile.state != ProfileState::kStable) return;
  for (auto& [key, program] : profile.programs) {
    if (!program.model || judged_ids_.count(&program)) continue;
    // Each known sequence with the surprise the detector gives it (clipped as it clips).
    std::vector<KernelJudge::KnownSequence> known;
    known.reserve(program.ngrams.size());
    int32_t calls[kProfileOrder];
    for (const auto& [ngram, count] : program.ngrams) {
      for (int i = 0; i < kProfileOrder; ++i) calls[i] = ngram.calls[i];
      known.push_back({ngram.calls, std::min(program.model->surprise_after(calls, calls[kProfileOrder - 1]),
                                             config_.max_call_surprise)});
    }
    // Below half the threshold the window neither raises an alarm nor keeps one.
    const double quiet_sum = program.threshold / 2 * config_.window;
    std::string error;
    const uint32_t id = judge_->add_program(known, quiet_sum, error);
    if (id) {
      judged_ids_[&program] = id;
    } else if (!judge_full_reported_) {
      judge_full_reported_ = true;  // its calls are all sent: slower, never blind
      log_("warning: " + program.comm + " of " + profile.image + " is not judged in the kernel (" + error +
           "); its calls are all sent to the detector");
    }
  }
}

void Detector::release_judged(ImageProfile& profile) {
  if (!judge_) return;
  for (auto& [key, program] : profile.programs) {
    auto it = judged_ids_.find(&program);
    if (it == judged_ids_.end()) continue;
    judge_->remove_program(it->second);
    judged_ids_.erase(it);
  }
}

void Detector::register_with_judge(ThreadState& thread, const SyscallEvent& e) {
  thread.judge_epoch = e.thread_epoch;  // asked once per epoch and name; the kernel drops a stale one
  thread.judge_comm = e.comm;
  if (!e.thread_epoch || thread.judge_refused || !thread.program) return;
  auto id = judged_ids_.find(thread.program);
  if (id == judged_ids_.end() && thread.image->profile.state == ProfileState::kLearning) {
    // A learning program is registered at its first thread's event; its id goes at stabilize.
    std::string error;
    if (const uint32_t learning = judge_->add_learning_program(error)) {
      id = judged_ids_.emplace(thread.program, learning).first;
    } else if (!judge_full_reported_) {
      judge_full_reported_ = true;
      log_("warning: " + thread.program->comm + " of " + thread.image->profile.image +
           " is not helped by the kernel while it learns (" + error + "); its calls are all sent");
    }
  }
  if (id != judged_ids_.end()) judge_->follow_thread(e.tid, e.thread_epoch, id->second, e.comm);
}

void Detector::offer_known_open(const ThreadState& thread, const SyscallEvent& e,
                                std::span<const Resource> resources) {
  if (!thread.program || resources.size() != 1 || resources[0].kind != AnomalyKind::kFile) return;
  auto id = judged_ids_.find(thread.program);
  if (id == judged_ids_.end()) return;
  const std::string& key = resources[0].key;
  // Known now (learned by this event, if it was new), and nothing would alert on it later: a
  // sensitive file's open is worth its record whatever the profile says.
  if (!covers(set_for(thread.image->profile, AnomalyKind::kFile), AnomalyKind::kFile, key) ||
      is_sensitive_file(key) || indicators_watch_file(key))
    return;
  if (const auto open = path_and_flags_open(e))
    judge_->add_known_open(id->second, e.syscall_nr, open->flags, e.ret < 0, *open->path);
}

void Detector::adopt_judged(ThreadState& thread, const JudgedCalls& judged) {
  constexpr int kRecent = JudgedCalls::kRecent;
  constexpr int kContext = kProfileOrder - 1;
  auto recent_at = [&](int i) { return i >= 0 && judged.recent[i] >= 0 ? int32_t{judged.recent[i]} : NgramModel::kStart; };
  for (int i = 0; i < kContext; ++i) thread.history[i] = recent_at(kRecent - kContext + i);
  if (!thread.program || !thread.program->model) return;
  // The kernel judged a call only with its window below half the threshold: no alarm, and
  // one in force was left (as detect() re-arms) once the window was full.
  const size_t window = thread.surprises.size();
  // Judging runs only with the judge's window (judge_in_kernel), never wider.
  static_assert(AdoptedWindows::kMaxWindow == KernelJudge::kWindow);
  if (window > AdoptedWindows::kMaxWindow) return;
  thread.scored += judged.count;
  if (thread.scored >= window) thread.alarmed = false;
  // The calls behind the window (for the alert's explanation), and the window rescored from the
  // kernel's last calls with a rolling context: one probe a call, as live scoring does.
  // Ring positions advance by one with a wrap: a division per call costs more than the rest.
  const size_t ring = thread.calls.size();
  const int back = static_cast<int>(std::min<uint64_t>(thread.scored, kRecent));
  for (size_t i = kRecent - back, slot = (thread.scored - back) % ring; i < kRecent; ++i, slot = slot + 1 == ring ? 0 : slot + 1)
    if (const int32_t call = recent_at(static_cast<int>(i)); call != NgramModel::kStart) thread.calls[slot] = call;
  const int in_window = static_cast<int>(std::min<uint64_t>(thread.scored, window));
  auto place = [&](const AdoptedWindows::Window& w) {
    for (size_t i = 0, slot = (thread.scored - in_window) % window; i < static_cast<size_t>(in_window);
         ++i, slot = slot + 1 == window ? 0 : slot + 1)
      thread.surprises[slot] = w.surprises[i], thread.unseen[slot] = w.unseen[i];
    thread.sum = w.sum;
    thread.unseen_in_window = w.unseen_count;
  };
  // Threads hand over the same calls again and again: recalled, not rescored.
  const AdoptedWindows::Key key{thread.program->model.get(), in_window, judged.recent};
  if (const AdoptedWindows::Window* known = adopted_windows_.find(key)) {
    ++windows_recalled_;
    return place(*known);
  }
  AdoptedWindows::Window scored;
  NgramModel::Stream stream(*thread.program->model);
  for (int k = kRecent - in_window - kContext; k < kRecent - in_window; ++k) stream.push(recent_at(k));
  for (int i = 0; i < in_window; ++i) {
    const int32_t call = recent_at(kRecent - in_window + i);
    float surprise = 0;  // no call: fewer in the kernel than scored here (a forgotten thread)
    bool seen = true;
    if (call != NgramModel::kStart) surprise = std::min(stream.next(call, seen), config_.max_call_surprise);
    else stream.push(call);
    scored.surprises[i] = surprise;
    scored.sum += surprise;
    scored.unseen[i] = !seen;
    scored.unseen_count += !seen;
  }
  adopted_windows_.remember(key, scored);
  place(scored);
}

void Detector::stabilize(ImageState& image, const std::string& reason) {
  ImageProfile& profile = image.profile;
  profile.stable_reason = reason;
  const size_t window = static_cast<size_t>(config_.window);
  std::vector<std::string> thresholds;  // the tail-fitted ones, logged after the stable line
  for (auto& [key, program] : profile.programs) {
    // The threshold comes from held-back learning data, scored by a model fitted without it.
    std::vector<double> means;
    if (!program.holdout.empty() && !program.ngrams.empty()) {
      auto model = fit(program.ngrams, nullptr);
      std::unordered_map<int32_t, std::vector<float>> per_thread;
      int32_t calls[kProfileOrder];
      for (const auto& h : program.holdout) {
        for (int i = 0; i < kProfileOrder; ++i) calls[i] = h.ngram.calls[i];
        per_thread[h.tid].push_back(
            std::min(model->surprise_after(calls, calls[kProfileOrder - 1]), config_.max_call_surprise));
      }
      for (const auto& [tid, s] : per_thread) {
        double sum = 0;
        for (size_t i = 0; i < s.size(); ++i) {
          sum += s[i];
          if (i >= window) sum -= s[i - window];
          if (i + 1 >= window) means.push_back(sum / static_cast<double>(window));
        }
      }
    }
    const Threshold t = calibrate_threshold(std::move(means), config_.threshold);
    program.threshold = t.value;
    // Logged whenever the tail was fitted, also when the floor or the margin won over it: a
    // fit below the floor says the held-back tail was thin, which the floor alone would hide.
    if (t.tail_value > 0) {
      char fit[48] = "";
      if (t.basis != "tail fit") std::snprintf(fit, sizeof fit, ", fit %.2f below it", t.tail_value);
      char line[360];
      std::snprintf(line, sizeof line,
                    "  %s: sequence threshold %.2f (%s; %zu held-back windows, highest %.2f, tail from %.2f, scale %.3f%s)%s",
                    key.second.c_str(), t.value, t.basis.c_str(), t.windows, t.highest, t.tail_start, t.tail_scale,
                    fit,
                    t.value >= config_.max_call_surprise
                        ? ": above any window's score, its sequences raise no alarm (files, peers, programs and indicators still do)"
                        : "");
      thresholds.emplace_back(line);
    }
    for (const auto& [g, c] : program.holdout_ngrams) program.ngrams[g] += c;
    program.holdout.clear();
    program.holdout.shrink_to_fit();
    program.holdout_ngrams.clear();
  }
  release_judged(profile);  // the learning programs' ids: the stable ones take over
  profile.state = ProfileState::kStable;
  profile.stable_since = clock_();
  build_models(profile);
  mark_changed(image);
  // Threads carry on with the new models from their next call, registered with the judge
  // again (as stable programs now).
  for (auto& [tid, thread] : threads_)
    if (thread.image == &image) {
      thread.judge_epoch = 0;
      thread.scored = 0;
      thread.sum = 0;
      std::fill(thread.surprises.begin(), thread.surprises.end(), 0.f);
      std::fill(thread.unseen.begin(), thread.unseen.end(), 0);
      thread.unseen_in_window = 0;
    }
  log_("profile of " + profile.image + " is stable (" + reason + "): detecting (" +
       std::to_string(profile.programs.size()) + " programs, " +
       std::to_string(distinct_ngrams(profile)) + " sequences, " +
       std::to_string(profile.files.size()) + " files, " + std::to_string(profile.peers.size()) +
       " network peers, " + std::to_string(profile.execs.size()) + " executables)");
  for (const auto& line : thresholds) log_(line);
  save(image);
}

void Detector::forget_threads_of(const ImageState& image) {
  std::erase_if(threads_, [&](const auto& t) { return t.second.image == &image; });
}

void Detector::save(ImageState& image) {
  image.last_save = clock_();
  if (!store_) {
    image.dirty = false;
    return;
  }
  auto mtime = store_->save(image.profile);
  const std::string what = std::string(state_name(image.profile.state)) + " profile of " +
                           image.profile.image;
  if (!mtime) {
    // Stays dirty: tried again every save interval. Loud, but not a line every 10 seconds.
    const std::string problem = what + " (" + mtime.error().message + ")";
    const int64_t every = std::max<int64_t>(1, 60 / std::max<int64_t>(1, config_.save_interval_seconds));
    ++image.save_failures;
    if (image.save_failures == 1 || problem != image.save_error || image.save_failures % every == 0)
      log_("error: cannot save the " + problem + ", attempt " + std::to_string(image.save_failures) +
           "; trying again every " + std::to_string(config_.save_interval_seconds) +
           " s (a restart before it works loses what changed)");
    image.save_error = problem;
    return;
  }
  if (image.save_failures)
    log_("saved the " + what + " after " + std::to_string(image.save_failures) +
         " failed attempts");
  image.save_failures = 0;
  image.save_error.clear();
  image.saved_mtime = *mtime;
  image.dirty = false;
}

void Detector::tick() {
  const int64_t now = clock_();
  if (now == last_tick_) return;  // once a second is plenty
  last_tick_ = now;
  for (auto& [id, image_ptr] : images_) {
    ImageState& image = *image_ptr;
    ImageProfile& profile = image.profile;
    if (store_ && image.saved_mtime) {
      auto mtime = store_->modified(id);
      if (!mtime) {
        // `profiles reset` removed the file: start over.
        log_("profile of " + profile.image + " was reset: learning anew");
        forget_threads_of(image);
        release_judged(profile);
        ImageProfile fresh;
        fresh.image = profile.image;
        fresh.image_id = profile.image_id;
        fresh.first_seen = now;
        profile = std::move(fresh);
        image.saved_mtime.reset();
        mark_changed(image);
        image.last_progress = now;
        continue;
      }
      if (*mtime != *image.saved_mtime) {
        // `profiles import` replaced it.
        auto loaded = store_->load_file(store_->path_for(id));
        image.saved_mtime = mtime;
        if (loaded && loaded->image_id == id) {
          forget_threads_of(image);
          release_judged(profile);
          profile = std::move(loaded.value());
          build_models(profile);
          image.dirty = false;
          log_("profile of " + profile.image + " was replaced on disk: now " +
               state_name(profile.state));
        } else {
          log_("warning: ignoring a changed profile file for " + profile.image + ": " +
               (loaded ? std::string("it is for another image") : loaded.error().message));
        }
        continue;
      }
    }
    if (profile.state == ProfileState::kLearning) {
      if (std::string reason; ready_to_stabilize(profile, config_.learning, now, reason)) {
        stabilize(image, reason);
        continue;
      }
      if (now - image.last_progress >= config_.progress_interval_seconds) {
        image.last_progress = now;
        char percent[16];
        std::snprintf(percent, sizeof percent, "%3.0f%%",
                      100 * learning_progress(profile, config_.learning, now));
        log_(std::string("learning ") + percent + " " + profile.image + ": " +
             learning_progress_text(profile, config_.learning, now));
      }
    }
    if (image.dirty && now - image.last_save >= config_.save_interval_seconds) save(image);
  }
  if (now - last_purge_ >= 60) {  // ticks may skip seconds: not `now % 60 == 0`
    last_purge_ = now;
    std::erase_if(threads_, [&](const auto& t) { return now - t.second.last_seen > kThreadIdleSeconds; });
    processes_.purge_idle(now, kThreadIdleSeconds);
  }
}

std::vector<std::string> Detector::save_all() {
  std::vector<std::string> unsaved;
  for (auto& [id, image] : images_) {
    if (!image->dirty) continue;
    save(*image);
    if (image->dirty)
      unsaved.push_back("the " + image->save_error +
                        " is not on disk: what changed since its last save is lost");
  }
  return unsaved;
}

}  // namespace da
