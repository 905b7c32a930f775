// In-kernel judging keeps detection unchanged: real traces (the ADFA-LD subset) go to one
// detector whole, and to another only as the kernel side would send them on — a model of
// judge() in src/capture/ebpf/syscall_capture.bpf.c, in the same fixed point, with its
// registrations arriving late as they do through the pipeline. Both must raise the same alerts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "detect/detector.h"
#include "detect/sequence_only.h"
#include "eval/trace_dataset.h"
#include "synthetic_events.h"

namespace da {
namespace {

constexpr uint64_t kStartContext = (1ULL << 45) - 1;  // five start codes (511)

// What the kernel side does with each call of a monitored thread (syscall_capture.bpf.c).
class KernelModel final : public KernelJudge {
 public:
  // hold_for_learning: take learning programs (the eBPF backend does); false answers "no room".
  explicit KernelModel(uint64_t registration_lag, bool hold_for_learning = true)
      : lag_(registration_lag), hold_for_learning_(hold_for_learning) {}

  void set_sequence_only(const std::vector<CallUse>& by_number) override { only_ = by_number; }
  uint32_t add_program(const std::vector<KnownSequence>& known, double quiet_sum, std::string&) override {
    const uint32_t id = ++last_id_;
    Program& p = programs_[id];
    p.generation = id;
    for (const auto& k : known) {
      uint64_t sequence = 0;
      bool judged = true;
      for (int16_t call : k.calls) {
        if (call >= 510) judged = false;
        sequence = (sequence << 9) | (call < 0 ? 511u : static_cast<uint64_t>(call));
      }
      if (judged)
        p.known[sequence] = static_cast<uint16_t>(std::clamp(std::ceil(k.surprise * 1024.0) + 1, 1.0, 65534.0));
    }
    p.quiet = static_cast<uint32_t>(std::clamp(std::floor(quiet_sum * 1024) - 16, 0.0, 4e9));
    ++programs_added_;
    return id;
  }
  uint32_t add_learning_program(std::string& error) override {
    if (!hold_for_learning_) {
      error = "not in this model";
      return 0;
    }
    const uint32_t id = ++last_id_;
    Program& p = programs_[id];
    p.generation = id;
    p.learning = true;
    ++learning_added_;
    return id;
  }
  void add_known_open(uint32_t program, int nr, uint32_t flags, bool failed, const std::string& path) override {
    auto p = programs_.find(program);
    if (p == programs_.end() || path.size() < 2 || path.size() + 1 >= 256 || path.front() != '/') return;
    p->second.known_opens.insert(std::tuple{nr, flags, failed, path});
  }
  void remove_program(uint32_t id) override { programs_.erase(id); }
  void follow_thread(int32_t tid, uint32_t epoch, uint32_t program, const std::string& comm) override {
    auto p = programs_.find(program);
    if (p == programs_.end()) return;
    waiting_.push_back({tid, Follow{program, p->second.generation, epoch, comm}, seen_ + lag_});
  }
  void forget_thread(int32_t tid) override { waiting_.push_back({tid, std::nullopt, seen_ + lag_}); }
  // Registrations neither taken nor forgotten: what would fill the kernel side's table.
  size_t registrations_left() {
    land(/*all=*/true);
    return follow_.size();
  }

  // False when the call is judged here: the detector never sees it. Else `e` carries the
  // thread's epoch and, after judged calls, their count and the thread's last calls.
  bool send(SyscallEvent& e) {
    ++seen_;
    land();
    Thread& st = threads_[e.tid];
    if (!st.epoch) {
      st.epoch = (next_epoch_ += 2);
      st.context = kStartContext;
      if (connected_.count(e.ppid)) connected_.insert(e.pid);  // marked after it forked this one
    }
    const int nr = e.syscall_nr;
    e.judged.count = 0;
    if (nr == SYS_exit || nr == SYS_exit_group) {  // at entry: sent with what it held, the thread ends
      e.thread_epoch = st.epoch;
      if (st.judged) hand_over(st, e);
      threads_.erase(e.tid);
      if (nr == SYS_exit_group) connected_.erase(e.pid);
      return true;
    }
    // The processes that connected an internet socket (the kernel reads the address family),
    // and the children they fork.
    if (nr == SYS_connect) {
      const std::string* to = std::get_if<std::string>(&e.args.at(1));
      if (!to || to->empty() || std::isdigit(static_cast<unsigned char>((*to)[0])) || (*to)[0] == '[')
        connected_.insert(e.pid);
    }
    if ((nr == SYS_clone || nr == SYS_fork) && e.ret > 0 && connected_.count(e.pid))
      connected_.insert(static_cast<int32_t>(e.ret));
    if ((nr == SYS_execve || nr == SYS_execveat) && e.ret == 0) {
      const uint32_t epoch = st.epoch + 2;
      if (st.judged) hand_over(st, e);  // the old program's held calls go with the exec
      st = Thread{};
      st.epoch = epoch;
      st.context = kStartContext;
    }
    e.thread_epoch = st.epoch;
    if ((st.polls++ & 15) == 0) {
      auto f = follow_.find(e.tid);
      if (f != follow_.end()) {
        if (f->second.epoch == st.epoch && f->second.comm == e.comm) {
          st.program = f->second.program;
          st.generation = f->second.generation;
          st.comm = f->second.comm;
        }
        follow_.erase(f);
      }
    }
    const Program* prog = nullptr;
    if (st.program) {
      auto p = programs_.find(st.program);
      if (p == programs_.end() || p->second.generation != st.generation || (!p->second.quiet && !p->second.learning) ||
          st.comm != e.comm)
        st.program = 0;
      else
        prog = &p->second;
    }
    const uint16_t last = st.calls ? st.recent[(st.calls - 1) & 31] : 0xffff;
    const bool repeat = last == static_cast<uint16_t>(nr);
    const uint64_t code = nr < 510 ? static_cast<uint64_t>(nr) : 510;
    const uint64_t sequence = (st.context << 9) | code;
    uint32_t bound = 0xffff;
    const bool learning = prog && prog->learning;
    if (prog && !learning && !repeat && code != 510) {
      auto k = prog->known.find(sequence);
      if (k != prog->known.end()) bound = k->second;
    }
    const uint32_t slot = st.calls & 15;
    const uint32_t sum = st.sum - st.bound[slot] + bound;
    const CallUse use = only_[static_cast<size_t>(nr)];
    // known_open(): an open of a file registered for the program, by its path as read.
    bool known = false;
    if (prog && (nr == SYS_openat || nr == SYS_open)) {
      const bool at = nr == SYS_openat;
      const std::string* path = std::get_if<std::string>(&e.args.at(at ? 1 : 0));
      const int64_t* flags = std::get_if<int64_t>(&e.args.at(at ? 2 : 1));
      known = path && flags &&
              prog->known_opens.count(std::tuple{nr, static_cast<uint32_t>(*flags), e.ret < 0, *path});
    }
    const bool judged = prog && (use != CallUse::kSent || (known && !repeat)) &&
                        (repeat || (learning ? st.judged < JudgedCalls::kRecent : bound != 0xffff && sum < prog->quiet)) &&
                        (use != CallUse::kSequenceOnlyUnconnected || !connected_.count(e.pid));
    if (judged) {
      ++judged_;
      if (known && !repeat) ++known_opens_judged_;
      if (learning) ++held_for_learning_;
      ++judged_by_pid_and_call_[{e.pid, nr}];
    } else if (st.judged) {
      hand_over(st, e);
    }
    if (!repeat) {
      if (judged) ++st.judged;
      st.recent[st.calls & 31] = static_cast<uint16_t>(nr);
      st.bound[slot] = static_cast<uint16_t>(bound);
      st.sum = sum;
      st.context = sequence & kStartContext;
      ++st.calls;
    }
    return !judged;
  }
  uint64_t judged() const { return judged_; }
  uint64_t judged(int32_t pid, int nr) const {
    auto it = judged_by_pid_and_call_.find({pid, nr});
    return it == judged_by_pid_and_call_.end() ? 0 : it->second;
  }
  uint64_t programs_added() const { return programs_added_; }
  uint64_t learning_added() const { return learning_added_; }
  uint64_t held_for_learning() const { return held_for_learning_; }
  // Opens of registered files, held back or judged as sequence-only calls (when the rest let them).
  uint64_t known_opens() const { return known_opens_judged_; }

 private:
  struct Program {
    uint32_t generation = 0, quiet = 0;
    bool learning = false;
    std::unordered_map<uint64_t, uint16_t> known;
    std::set<std::tuple<int, uint32_t, bool, std::string>> known_opens;
  };
  struct Follow {
    uint32_t program, generation, epoch;
    std::string comm;
  };
  struct Waiting {
    int32_t tid;
    std::optional<Follow> follow;  // none: forget the thread's registration
    uint64_t visible_at;
  };
  // What the detector wrote reaches the kernel side's view after `lag_` further calls.
  void land(bool all = false) {
    while (!waiting_.empty() && (all || waiting_.front().visible_at <= seen_)) {
      if (waiting_.front().follow) follow_[waiting_.front().tid] = *waiting_.front().follow;
      else follow_.erase(waiting_.front().tid);
      waiting_.pop_front();
    }
  }
  struct Thread {
    uint32_t epoch = 0, program = 0, generation = 0, calls = 0, judged = 0, sum = 0, polls = 0;
    uint64_t context = 0;
    std::string comm;
    uint16_t recent[32] = {};
    uint16_t bound[16] = {};
  };
  // The thread's calls judged since its last record, in the prefix of `e` (fill_prefix).
  static void hand_over(Thread& st, SyscallEvent& e) {
    e.judged.count = st.judged;
    for (int i = 0; i < JudgedCalls::kRecent; ++i)
      e.judged.recent[i] = st.calls >= static_cast<uint32_t>(JudgedCalls::kRecent - i)
                               ? static_cast<int16_t>(st.recent[(st.calls - JudgedCalls::kRecent + i) & 31])
                               : int16_t{-1};
    st.judged = 0;
  }
  uint64_t lag_;
  bool hold_for_learning_;
  uint64_t seen_ = 0, judged_ = 0, programs_added_ = 0, learning_added_ = 0, held_for_learning_ = 0;
  uint64_t known_opens_judged_ = 0;
  uint32_t last_id_ = 0, next_epoch_ = 1;
  std::vector<CallUse> only_;
  std::set<int32_t> connected_;
  std::map<std::pair<int32_t, int>, uint64_t> judged_by_pid_and_call_;
  std::map<uint32_t, Program> programs_;
  std::unordered_map<int32_t, Follow> follow_;
  std::deque<Waiting> waiting_;
  std::unordered_map<int32_t, Thread> threads_;
};

std::string datasets_dir() {
  if (const char* d = std::getenv("DA_DATASETS")) return d;
  return std::string(DA_SOURCE_DIR) + "/../shared/datasets";
}

const ContainerMeta kImage{"adfa", "adfa/host:1", "sha256:adfa000000000000000000000000000000"};

// The traces' i386 numbers as x86_64 calls a process makes: open and close as themselves (open
// of one known file, judged in the kernel once the detector registered it; close is judged, as
// none of these processes connects a socket), execve as an exec of the same
// program, exit as exit_group, the rest spread over the calls that matter only as sequence.
class Replay {
 public:
  Replay() {
    const auto only = sequence_only_calls();
    for (int nr = 0; nr < 450; ++nr)
      if (only[static_cast<size_t>(nr)] == KernelJudge::CallUse::kSequenceOnly) sequence_calls_.push_back(nr);
  }
  SyscallEvent event(int64_t second, int32_t pid, int32_t i386) const {
    switch (i386) {
      case 5: return synthetic::call(second, pid, SYS_openat, {int64_t{-100}, std::string("/etc/app.conf"), int64_t{0}, uint64_t{0}}, 3, "adfa", "/usr/bin/adfa");
      case 6: return synthetic::call(second, pid, SYS_close, {uint64_t{3}}, 0, "adfa", "/usr/bin/adfa");
      case 11:
        return synthetic::call(second, pid, SYS_execve,
                               {std::string("/usr/bin/adfa"), std::vector<std::string>{"adfa"}, uint64_t{0}}, 0, "adfa", "/usr/bin/adfa");
      case 1:
      case 252: return synthetic::call(second, pid, SYS_exit_group, {int64_t{0}}, 0, "adfa", "/usr/bin/adfa");
      default:
        return synthetic::call(second, pid, sequence_calls_[static_cast<size_t>(i386) % sequence_calls_.size()], {}, 0, "adfa", "/usr/bin/adfa");
    }
  }

 private:
  std::vector<int32_t> sequence_calls_;
};

// One replayed call into both detectors: `all` sees every call, `behind` only what the kernel
// model sends on. Returns whether it was sent.
bool observe_both(Detector& all, Detector& behind, KernelModel& kernel, SyscallEvent e) {
  all.observe(e, "host", kImage);
  if (!kernel.send(e)) return false;
  behind.observe(e, "host", kImage);
  return true;
}

// Traces run four at a time, interleaved in runs of 32 calls as capture delivers threads, each
// group under new pids: `call(pid, i386 number)` for each. end_with_exit: each process that
// stops short of exit_group gets one, as a real process does.
void interleave(const std::vector<Trace>& traces, int32_t& next_pid, bool end_with_exit,
                const std::function<void(int32_t, int32_t)>& call) {
  for (size_t first = 0; first < traces.size(); first += 4) {
    const size_t last = std::min(traces.size(), first + 4);
    const int32_t base = next_pid;
    next_pid += 4;
    for (size_t at = 0;; at += 32) {
      bool any = false;
      for (size_t t = first; t < last; ++t) {
        const auto& calls = traces[t].calls;
        for (size_t i = at; i < std::min(calls.size(), at + 32); ++i) {
          any = true;
          call(base + static_cast<int32_t>(t - first), calls[i]);
        }
      }
      if (!any) break;
    }
    if (!end_with_exit) continue;
    for (size_t t = first; t < last; ++t) {
      const auto& calls = traces[t].calls;
      if (calls.empty() || (calls.back() != 1 && calls.back() != 252))
        call(base + static_cast<int32_t>(t - first), 252);
    }
  }
}

std::string describe(const Anomaly& a) {
  char score[64];
  std::snprintf(score, sizeof score, "%.3f", a.score);
  return std::string(kind_name(a.kind)) + " tid " + std::to_string(a.process.tid) + " " + a.subject + " " + score;
}

TEST(KernelJudging, TheDetectorRaisesTheSameAlertsWhenTheKernelJudgesKnownSequences) {
  const std::string adfa = datasets_dir() + "/adfa-ld";
  if (!std::filesystem::is_directory(adfa)) {
    if (std::getenv("CI")) FAIL() << "CI has the datasets at " << adfa;
    GTEST_SKIP() << "ADFA-LD not found at " << adfa << " (set DA_DATASETS)";
  }
  auto training = load_traces(adfa + "/Training_Data_Master", DatasetFormat::kAdfa);
  auto validation = load_traces(adfa + "/Validation_Data_Master", DatasetFormat::kAdfa);
  auto attacks = load_traces(adfa + "/Attack_Data_Master", DatasetFormat::kAdfa);
  ASSERT_TRUE(training && validation && attacks);

  DetectorConfig config;
  config.learning.min_seconds = 10;
  config.learning.max_seconds = 60;
  config.learning.novelty = 1e-2;
  config.progress_interval_seconds = 100000;
  // ADFA's traces vary so much that the default threshold lies above any window (no sequence
  // alarm at all); a lower one makes alarms, re-arming and windows near the edge common.
  config.threshold.windows_per_false_alarm = 100;
  config.threshold.margin = 0.5;
  int64_t now = 1'800'000'000;
  std::vector<Anomaly> seen_all, seen_judged;
  auto log = [](const std::string&) {};
  Detector all(config, nullptr, [&](const Anomaly& a) { seen_all.push_back(a); }, log, [&] { return now; });
  Detector judged(config, nullptr, [&](const Anomaly& a) { seen_judged.push_back(a); }, log, [&] { return now; });
  // Events the pipeline carries before a registration lands. Learning programs are refused
  // here: calls held back while learning reach the detector later, in another order across a
  // program's threads, which moves the held-back share (and with it the thresholds) — the
  // same calls learned (the next test), not the same profile to compare alerts under.
  KernelModel kernel(/*registration_lag=*/40, /*hold_for_learning=*/false);
  judged.judge_in_kernel(&kernel);

  const Replay replay;
  int32_t next_pid = 1000;
  uint64_t fed = 0, sent = 0;
  auto feed = [&](const std::vector<Trace>& traces) {
    interleave(traces, next_pid, /*end_with_exit=*/false, [&](int32_t pid, int32_t i386) {
      ++fed;
      sent += observe_both(all, judged, kernel, replay.event(now, pid, i386));
      if (fed % 4000 == 0) {
        ++now;
        all.tick();
        judged.tick();
      }
    });
  };
  auto stable = [&](const Detector& d) {
    return d.profile(kImage.image_id) && d.profile(kImage.image_id)->state == ProfileState::kStable;
  };
  for (int pass = 0; pass < 10 && !stable(all); ++pass) feed(*training);
  ASSERT_TRUE(stable(all));
  ASSERT_TRUE(stable(judged));
  ASSERT_GT(kernel.programs_added(), 0u);

  const uint64_t fed_before = fed, sent_before = sent, judged_before = kernel.judged();
  feed(*validation);
  feed(*attacks);
  const uint64_t detect_calls = fed - fed_before;
  std::vector<std::string> a, b;
  for (const auto& x : seen_all) a.push_back(describe(x));
  for (const auto& x : seen_judged) b.push_back(describe(x));
  size_t sequence_alerts = 0;
  for (const auto& x : seen_all) sequence_alerts += x.kind == AnomalyKind::kSequence;
  // Not vacuous: the traces raise sequence alerts, and most calls are judged in the kernel.
  EXPECT_GT(sequence_alerts, 20u);
  EXPECT_GT(kernel.judged() - judged_before, detect_calls / 3);
  EXPECT_GT(kernel.known_opens(), 0u);
  EXPECT_EQ(sent - sent_before + kernel.judged() - judged_before, detect_calls);
  EXPECT_EQ(a, b);
  std::printf("detection: %llu calls, %llu judged in the kernel; %zu alerts (%zu of sequences)\n",
              static_cast<unsigned long long>(detect_calls),
              static_cast<unsigned long long>(kernel.judged() - judged_before), a.size(), sequence_alerts);
}

// While a profile learns, the kernel side holds sequence-only calls back and hands them over
// with the thread's next event: the detector must learn every call all the same.
TEST(KernelJudging, ALearningProfileLearnsEveryCallTheKernelHeldBack) {
  const std::string adfa = datasets_dir() + "/adfa-ld";
  if (!std::filesystem::is_directory(adfa)) {
    if (std::getenv("CI")) FAIL() << "CI has the datasets at " << adfa;
    GTEST_SKIP() << "ADFA-LD not found at " << adfa << " (set DA_DATASETS)";
  }
  auto training = load_traces(adfa + "/Training_Data_Master", DatasetFormat::kAdfa);
  ASSERT_TRUE(training);
  DetectorConfig config;  // learns for hours: both stay learning
  int64_t now = 1'800'000'000;
  auto log = [](const std::string&) {};
  Detector all(config, nullptr, [](const Anomaly&) {}, log, [&] { return now; });
  Detector held(config, nullptr, [](const Anomaly&) {}, log, [&] { return now; });
  KernelModel kernel(/*registration_lag=*/40);
  held.judge_in_kernel(&kernel);

  // Each process ends through exit_group, as a process does (most ADFA traces stop short):
  // what the kernel held for a thread goes with its exit. (A thread killed without one — the
  // other threads at an exit_group, SIGKILL — takes up to 21 held calls with it: docs.)
  const Replay replay;
  int32_t next_pid = 1000;
  uint64_t fed = 0, sent = 0;
  interleave(*training, next_pid, /*end_with_exit=*/true, [&](int32_t pid, int32_t i386) {
    ++fed;
    sent += observe_both(all, held, kernel, replay.event(now, pid, i386));
    if (fed % 4000 == 0) ++now;
  });
  const ImageProfile* a = all.profile(kImage.image_id);
  const ImageProfile* b = held.profile(kImage.image_id);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(b->state, ProfileState::kLearning);
  // Not vacuous: most calls were held back, in runs of up to 21 per event.
  EXPECT_GT(kernel.learning_added(), 0u);
  EXPECT_GT(kernel.held_for_learning(), fed / 2);
  EXPECT_GT(kernel.known_opens(), 0u);
  EXPECT_EQ(sent + kernel.judged(), fed);
  // The same calls, the same sequences with the same counts (fitted and held back together:
  // which calls are held back for the threshold depends on the order they arrive in).
  EXPECT_EQ(a->calls, b->calls);
  ASSERT_EQ(a->programs.size(), b->programs.size());
  for (const auto& [key, program] : a->programs) {
    auto other = b->programs.find(key);
    ASSERT_NE(other, b->programs.end()) << key.second;
    EXPECT_EQ(program.calls, other->second.calls) << key.second;
    auto merged = [](const ProgramProfile& p) {
      std::map<std::array<int16_t, kProfileOrder>, uint64_t> all_counts;
      for (const auto& [g, c] : p.ngrams) all_counts[g.calls] += c;
      for (const auto& [g, c] : p.holdout_ngrams) all_counts[g.calls] += c;
      return all_counts;
    };
    EXPECT_TRUE(merged(program) == merged(other->second)) << key.second;
    EXPECT_EQ(program.holdout.size(), other->second.holdout.size()) << key.second;
    // The opens held back count as opens of a known file: the novelty rate sees them all.
    const auto& files_all = program.resource_novelty;
    const auto& files_held = other->second.resource_novelty;
    EXPECT_NEAR(static_cast<double>(files_held.events(now)), static_cast<double>(files_all.events(now)),
                0.02 * static_cast<double>(files_all.events(now)) + 1) << key.second;
    EXPECT_NEAR(files_held.estimate(now), files_all.estimate(now), 1e-3) << key.second;
  }
  EXPECT_EQ(a->files.size(), b->files.size());
  std::printf("learning: %llu calls, %llu held back in the kernel, %llu events sent\n",
              static_cast<unsigned long long>(fed), static_cast<unsigned long long>(kernel.held_for_learning()),
              static_cast<unsigned long long>(sent));
}

}  // namespace
}  // namespace da

namespace da {
namespace {

// One detector that sees every call and one that sees what the kernel model sends on, on one
// clock, learning a short profile: the synthetic server loops below run through both.
struct SideBySide {
  static DetectorConfig config() {
    DetectorConfig c;
    c.learning.min_seconds = 10;
    c.learning.max_seconds = 30;
    c.progress_interval_seconds = 100000;
    return c;
  }
  explicit SideBySide(ContainerMeta image_meta) : image(std::move(image_meta)) { judged.judge_in_kernel(&kernel); }
  void observe(SyscallEvent e) {
    all.observe(e, "host", image);
    if (kernel.send(e)) judged.observe(e, "host", image);
  }
  // Runs `second` (a second's worth of calls) until the profile is stable, at most 40 times.
  bool learn(const std::function<void()>& second) {
    for (int i = 0; i < 40 && !stable(all); ++i) {
      second();
      ++now;
      all.tick();
      judged.tick();
    }
    return stable(all) && stable(judged);
  }
  bool stable(const Detector& d) const {
    return d.profile(image.image_id) && d.profile(image.image_id)->state == ProfileState::kStable;
  }

  const ContainerMeta image;
  int64_t now = 1'800'000'000;
  std::vector<std::string> seen_all, seen_judged;
  KernelModel kernel{/*registration_lag=*/10};
  Detector all{config(), nullptr, [this](const Anomaly& a) { seen_all.push_back(describe(a)); },
               [](const std::string&) {}, [this] { return now; }};
  Detector judged{config(), nullptr, [this](const Anomaly& a) { seen_judged.push_back(describe(a)); },
                  [](const std::string&) {}, [this] { return now; }};
};

// A server thread's steady loop, renamed midway without an exec (prctl, or busybox running an
// applet in a forked shell): judged before and after the rename; workers that live a moment
// leave no registration behind; and a burst of calls it never made alerts the same through the
// kernel model as without it.
TEST(KernelJudging, ARenamedThreadIsJudgedAgainAndItsNewCallsStillAlert) {
  SideBySide t({"srv", "srv/app:1", "sha256:5151000000000000000000000000000000"});
  std::string comm = "server";
  auto call = [&](int nr) { t.observe(synthetic::call(t.now, 300, nr, {}, 0, comm, "/usr/bin/server")); };
  auto serve = [&](int requests) {
    for (int i = 0; i < requests; ++i)
      for (int nr : {SYS_epoll_wait, SYS_read, SYS_getpid, SYS_write, SYS_read, SYS_write}) call(nr);
  };
  ASSERT_TRUE(t.learn([&] { serve(200); }));
  serve(500);
  const uint64_t before_rename = t.kernel.judged();
  EXPECT_GT(before_rename, 2000u);
  comm = "server-worker";
  serve(500);
  EXPECT_GT(t.kernel.judged() - before_rename, 2000u) << "not judged after the rename";
  // Workers forked for a moment exit before their registration lands: none is left behind to
  // fill the kernel side's table (the detector drops it when it sees the exit).
  for (int32_t pid = 2000; pid < 2200; ++pid) {
    for (int nr : {SYS_epoll_wait, SYS_read, SYS_getpid, SYS_write, SYS_exit_group}) {
      SyscallEvent e = synthetic::call(t.now, pid, nr, {}, 0, comm, "/usr/bin/server");
      e.ppid = 300;
      t.observe(std::move(e));
    }
  }
  EXPECT_EQ(t.kernel.registrations_left(), 0u);
  // Calls it never made, in a burst: a sequence alert, the same through the kernel model.
  for (int i = 0; i < 40; ++i)
    for (int nr : {SYS_mprotect, SYS_getuid, SYS_setsid, SYS_umask}) call(nr);
  serve(100);
  EXPECT_FALSE(t.seen_all.empty());
  EXPECT_EQ(t.seen_all, t.seen_judged);
}

// A server's request loop where one call per request is sent (a path the detector reads: a
// relative one, whose file depends on the working directory, is never judged): the kernel
// hands over the same calls before each, and the detector recalls their window rather than
// rescoring it — with the same alerts as a detector that sees every call.
TEST(KernelJudging, ASteadyLoopsWindowIsRecalledAndAlertsStayTheSame) {
  SideBySide t({"web", "web/app:1", "sha256:5252000000000000000000000000000000"});
  auto call = [&](int nr, std::vector<ArgValue> args = {}, int64_t ret = 0) {
    t.observe(synthetic::call(t.now, 400, nr, std::move(args), ret, "web", "/usr/sbin/web"));
  };
  auto serve = [&](int requests) {
    for (int i = 0; i < requests; ++i) {
      for (int nr : {SYS_epoll_wait, SYS_recvfrom, SYS_newfstatat}) call(nr);
      call(SYS_openat, {int64_t{-100}, std::string("page.html"), int64_t{0}}, 9);
      for (int nr : {SYS_fstat, SYS_writev, SYS_sendfile, SYS_write, SYS_getpid}) call(nr);
    }
  };
  ASSERT_TRUE(t.learn([&] { serve(200); }));
  const uint64_t judged_before = t.kernel.judged();
  serve(500);
  EXPECT_GT(t.kernel.judged() - judged_before, 2000u);
  // Nearly every request hands over a window seen before.
  EXPECT_GT(t.judged.windows_recalled(), 400u);
  // Calls it never made, in a burst between requests: the same alert either way.
  for (int i = 0; i < 40; ++i)
    for (int nr : {SYS_mprotect, SYS_getuid, SYS_setsid, SYS_umask}) call(nr);
  serve(100);
  EXPECT_FALSE(t.seen_all.empty());
  EXPECT_EQ(t.seen_all, t.seen_judged);
}

// close is judged in the kernel only in a process without outbound internet sockets: a web
// worker's closes are judged, while a shell that connected out has each close sent — for the
// detector follows its descriptors: that socket closed and a file opened on its number and put
// onto stdin is no reverse shell. The same alerts (none) either way.
// nginx opens the page it serves at every request. Once the detector knows the file, those
// opens are held back while learning and judged when stable like any sequence-only call; an
// open of a new file, or of a sensitive one, is still sent and alerts the same.
TEST(KernelJudging, OpensOfAKnownFileAreJudgedAndOtherFilesStillAlert) {
  SideBySide t({"web", "web/app:1", "sha256:5353000000000000000000000000000000"});
  auto call = [&](int nr, std::vector<ArgValue> args = {}, int64_t ret = 0) {
    t.observe(synthetic::call(t.now, 400, nr, std::move(args), ret, "web", "/usr/sbin/web"));
  };
  auto open = [&](const std::string& path, int64_t flags = 0) {
    call(SYS_openat, {int64_t{-100}, path, flags}, 9);
  };
  auto serve = [&](int requests) {
    for (int i = 0; i < requests; ++i) {
      for (int nr : {SYS_epoll_wait, SYS_recvfrom, SYS_newfstatat}) call(nr);
      open("/srv/page.html");
      for (int nr : {SYS_fstat, SYS_writev, SYS_sendfile, SYS_write, SYS_getpid}) call(nr);
    }
  };
  ASSERT_TRUE(t.learn([&] { serve(200); }));
  const uint64_t opens_while_learning = t.kernel.known_opens();
  EXPECT_GT(opens_while_learning, 1000u) << "held back while learning";
  const uint64_t judged_before = t.kernel.judged();
  serve(500);
  EXPECT_GT(t.kernel.known_opens() - opens_while_learning, 400u) << "judged when stable";
  EXPECT_GT(t.kernel.judged() - judged_before, 0.95 * 500 * 9);
  // The same file for writing, a new file, a sensitive one: sent, and alerted either way.
  open("/srv/page.html", O_WRONLY);
  open("/srv/other.html");
  open("/etc/shadow");
  serve(50);
  int files = 0;
  for (const auto& a : t.seen_all) files += a.rfind("file ", 0) == 0;
  EXPECT_EQ(files, 3) << ::testing::PrintToString(t.seen_all);
  EXPECT_EQ(t.seen_all, t.seen_judged);
}

TEST(KernelJudging, CloseIsJudgedOnlyInAProcessWithoutOutboundSockets) {
  SideBySide t({"mixed", "mixed/app:1", "sha256:5353000000000000000000000000000000"});
  auto call = [&](int32_t pid, const char* comm, const char* exe, int nr, std::vector<ArgValue> args, int64_t ret) {
    t.observe(synthetic::call(t.now, pid, nr, std::move(args), ret, comm, exe));
  };
  auto web = [&](int nr, std::vector<ArgValue> args = {}, int64_t ret = 0) { call(600, "web", "/usr/sbin/web", nr, std::move(args), ret); };
  auto sh = [&](int nr, std::vector<ArgValue> args = {}, int64_t ret = 0) { call(700, "sh", "/bin/sh", nr, std::move(args), ret); };
  auto rounds = [&](int n) {
    for (int i = 0; i < n; ++i) {
      for (int nr : {SYS_epoll_wait, SYS_recvfrom}) web(nr);
      web(SYS_openat, {int64_t{-100}, std::string("/srv/page.html"), int64_t{0}}, 9);
      for (int nr : {SYS_fstat, SYS_sendfile, SYS_write}) web(nr);
      web(SYS_close, {int64_t{9}});
      sh(SYS_socket, {int64_t{2}, int64_t{1}, int64_t{0}}, 3);
      sh(SYS_connect, {int64_t{3}, std::string("127.0.0.1:4444"), int64_t{16}}, 0);
      sh(SYS_write);
      sh(SYS_close, {int64_t{3}});
      sh(SYS_openat, {int64_t{-100}, std::string("/tmp/input"), int64_t{0}}, 3);
      sh(SYS_dup2, {int64_t{3}, int64_t{0}}, 0);
      sh(SYS_read);
      sh(SYS_close, {int64_t{3}});
    }
  };
  ASSERT_TRUE(t.learn([&] { rounds(200); }));
  rounds(500);
  EXPECT_GT(t.kernel.judged(600, SYS_close), 400u) << "the web worker's closes are not judged";
  EXPECT_EQ(t.kernel.judged(700, SYS_close), 0u) << "a close of the shell that connected out was judged";
  EXPECT_EQ(t.seen_all, t.seen_judged);
  EXPECT_TRUE(t.seen_judged.empty()) << t.seen_judged.front();  // a judged close: "indicator tid 700 sh"
}

TEST(AdoptedWindows, RecallsOnlyTheSameCallsUnderTheSameModelUntilForgotten) {
  AdoptedWindows windows;
  int model_a = 0, model_b = 0;
  AdoptedWindows::Key key{&model_a, 16, {}};
  key.recent.fill(3);
  AdoptedWindows::Window w;
  w.surprises.fill(0.5f);
  w.sum = 8;
  EXPECT_EQ(windows.find(key), nullptr);
  windows.remember(key, w);
  ASSERT_NE(windows.find(key), nullptr);
  EXPECT_EQ(windows.find(key)->sum, 8);
  AdoptedWindows::Key other = key;
  other.model = &model_b;
  EXPECT_EQ(windows.find(other), nullptr);
  other = key;
  other.recent[20] = 4;
  EXPECT_EQ(windows.find(other), nullptr);
  other = key;
  other.in_window = 15;
  EXPECT_EQ(windows.find(other), nullptr);
  windows.forget();  // models built again: a new one may sit at an old one's address
  EXPECT_EQ(windows.find(key), nullptr);
  // Bounded: it starts over rather than grow.
  for (size_t i = 0; i <= AdoptedWindows::kMaxKept; ++i) {
    other = key;
    other.recent[0] = static_cast<int16_t>(i % 30000);
    other.recent[1] = static_cast<int16_t>(i / 30000);
    windows.remember(other, w);
  }
  EXPECT_LE(windows.size(), AdoptedWindows::kMaxKept);
}

}  // namespace
}  // namespace da
