// The live engine on synthetic events: learning -> stable, no alarm on the learned workload,
// one explained anomaly per novelty, persistence and reset through the state dir.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "detect/detector.h"
#include "detect/learning.h"
#include "detect/path_normalizer.h"
#include "synthetic_events.h"

namespace da {
namespace {

namespace fs = std::filesystem;

const ContainerMeta kWeb{"web", "shop/web:1.0", "sha256:aaaa0000000000000000000000000000"};

class DetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("da-detector-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store_ = std::make_unique<ProfileStore>(dir_);
    config_.learning.min_seconds = 10;
    config_.learning.max_seconds = 100;
    config_.learning.novelty = 1e-2;
    config_.learning.idle_seconds = 5;
    config_.progress_interval_seconds = 1000;
    config_.save_interval_seconds = 1;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Detector> make_detector() {
    return std::make_unique<Detector>(
        config_, store_.get(), [this](const Anomaly& a) { anomalies_.push_back(a); },
        [this](const std::string& m) { log_.push_back(m); }, [this] { return now_; });
  }

  SyscallEvent event(int32_t pid, int32_t nr, std::vector<ArgValue> args = {}, int64_t ret = 0,
                     std::string comm = "worker", std::string exe = "/usr/bin/worker") {
    return synthetic::call(now_, pid, nr, std::move(args), ret, std::move(comm), std::move(exe));
  }

  SyscallEvent open_file(int32_t pid, const std::string& path, int64_t flags = O_RDONLY) {
    return event(pid, SYS_openat, {int64_t{-100}, path, flags, uint64_t{0}}, 3);
  }

  // The learned workload: open a config file, read it, write a line, sleep.
  void steady(Detector& d, int loops, int32_t pid = 100) {
    for (int i = 0; i < loops; ++i) {
      d.observe(open_file(pid, "/etc/app.conf"), "host1", kWeb);
      d.observe(event(pid, SYS_read, {uint64_t{3}, uint64_t{0}, uint64_t{4096}}, 120), "host1", kWeb);
      d.observe(event(pid, SYS_close, {uint64_t{3}}), "host1", kWeb);
      d.observe(event(pid, SYS_write, {uint64_t{1}, uint64_t{0}, uint64_t{10}}, 10), "host1", kWeb);
      d.observe(event(pid, SYS_nanosleep, {uint64_t{0}, uint64_t{0}}), "host1", kWeb);
    }
  }

  // Learns the steady workload until the profile is stable.
  void learn_until_stable(Detector& d) {
    for (int second = 0; second < 12; ++second) {
      steady(d, 100);
      ++now_;
      d.tick();
    }
    ASSERT_EQ(d.profile(kWeb.image_id)->state, ProfileState::kStable);
  }

  fs::path dir_;
  std::unique_ptr<ProfileStore> store_;
  DetectorConfig config_;
  int64_t now_ = 1'800'000'000;
  std::vector<Anomaly> anomalies_;
  std::vector<std::string> log_;
};

TEST_F(DetectorTest, LearnsForTheMinimumTimeThenUntilConverged) {
  auto d = make_detector();
  for (int second = 0; second < 6; ++second, ++now_) steady(*d, 100);
  d->tick();
  EXPECT_EQ(d->profile(kWeb.image_id)->state, ProfileState::kLearning);  // converged, too early
  for (int second = 0; second < 6; ++second, ++now_) steady(*d, 100);
  d->tick();
  const ImageProfile* p = d->profile(kWeb.image_id);
  EXPECT_EQ(p->state, ProfileState::kStable);
  EXPECT_NE(p->stable_reason.find("converged"), std::string::npos) << p->stable_reason;
  EXPECT_TRUE(anomalies_.empty());
}

// A program that keeps making new sequences holds learning back past the minimum time; once
// its novelty is out of the recent window, the profile converges.
TEST_F(DetectorTest, OngoingNoveltyHoldsLearningBackUntilItFades) {
  auto d = make_detector();
  std::mt19937 random(7);
  for (int second = 0; second < 15; ++second, ++now_) {
    steady(*d, 100);
    // ~2% of the calls in never-seen orders: random picks among 60 calls make new 6-grams.
    for (int i = 0; i < 12; ++i) d->observe(event(100, 100 + static_cast<int32_t>(random() % 60)), "host1", kWeb);
    d->tick();
  }
  EXPECT_EQ(d->profile(kWeb.image_id)->state, ProfileState::kLearning);
  EXPECT_NE(learning_progress_text(*d->profile(kWeb.image_id), config_.learning, now_).find("worker sequences"),
            std::string::npos);
  for (int second = 0; second < 40 && d->profile(kWeb.image_id)->state == ProfileState::kLearning; ++second, ++now_) {
    steady(*d, 1000);
    d->tick();
  }
  EXPECT_EQ(d->profile(kWeb.image_id)->state, ProfileState::kStable);
}

TEST_F(DetectorTest, StableAtTheTimeLimitAndSaysWhatHadNotConverged) {
  config_.learning.novelty = 1e-6;
  auto d = make_detector();
  for (int second = 0; second <= 100; ++second, ++now_) {
    steady(*d, 10);
    d->tick();
  }
  const ImageProfile* p = d->profile(kWeb.image_id);
  ASSERT_EQ(p->state, ProfileState::kStable);
  EXPECT_NE(p->stable_reason.find("time limit"), std::string::npos) << p->stable_reason;
  EXPECT_NE(p->stable_reason.find("worker"), std::string::npos) << p->stable_reason;
}

TEST_F(DetectorTest, AnIdleProgramDoesNotHoldLearningBack) {
  auto d = make_detector();
  // A start-up script: a burst of new sequences, then it never runs again.
  for (int i = 0; i < 300; ++i)
    d->observe(event(50, SYS_getuid + (i % 40), {}, 0, "entrypoint", "/bin/entrypoint"), "host1", kWeb);
  for (int second = 0; second < 12; ++second, ++now_) {
    steady(*d, 100);
    d->tick();
  }
  EXPECT_EQ(d->profile(kWeb.image_id)->state, ProfileState::kStable);
}

TEST_F(DetectorTest, ManyPagesOfOneDirectoryBecomeAPattern) {
  auto d = make_detector();
  for (int second = 0; second < 12; ++second, ++now_) {
    steady(*d, 100);
    for (char page = 'a'; page < 'k'; ++page) d->observe(open_file(100, std::string("/srv/www/") + page + ".html"), "host1", kWeb);
    d->tick();
  }
  const ImageProfile* p = d->profile(kWeb.image_id);
  ASSERT_EQ(p->state, ProfileState::kStable);
  EXPECT_TRUE(p->files.count("r /srv/www/*"));
  d->observe(open_file(100, "/srv/www/z.html"), "host1", kWeb);  // never seen, covered
  EXPECT_TRUE(anomalies_.empty());
  d->observe(open_file(100, "/srv/www/z.html", O_WRONLY), "host1", kWeb);  // not in that mode
  ASSERT_EQ(anomalies_.size(), 1u);
  EXPECT_EQ(anomalies_[0].kind, AnomalyKind::kFile);
}

// The held-back data that sets the threshold covers the whole learning period, not only its
// first calls (a busy server fills the store within seconds).
TEST_F(DetectorTest, HeldBackDataIsSampledFromAllOfLearning) {
  config_.learning.min_seconds = 1000;
  auto d = make_detector();
  steady(*d, 40000);  // 200,000 calls: the store (20,480) is full long before the end
  for (int i = 0; i < 40000; ++i) {  // a later phase with a call the first never made
    d->observe(event(100, SYS_getpid), "host1", kWeb);
    d->observe(event(100, SYS_nanosleep, {uint64_t{0}, uint64_t{0}}), "host1", kWeb);
  }
  const ProgramProfile& p = d->profile(kWeb.image_id)->programs.begin()->second;
  ASSERT_EQ(p.holdout.size(), 80u * 256u);
  const auto late = std::count_if(p.holdout.begin(), p.holdout.end(),
                                  [](const HoldoutCall& h) { return h.ngram.calls[5] == SYS_getpid; });
  EXPECT_GT(late, 2000);   // about a quarter of the data is from the late phase
  EXPECT_LT(late, 10240);  // ...and the early phase is still there
  uint64_t held = 0;
  for (const auto& [g, c] : p.holdout_ngrams) held += c;
  EXPECT_EQ(held, p.holdout.size());  // counts follow the replacements
  uint64_t fitted = 0;
  for (const auto& [g, c] : p.ngrams) fitted += c;
  EXPECT_EQ(fitted + held, p.calls);  // nothing learned is lost
}

TEST_F(DetectorTest, LearnedWorkloadRaisesNoAlarm) {
  auto d = make_detector();
  learn_until_stable(*d);
  steady(*d, 2000);
  steady(*d, 200, 101);  // another process of the same program
  EXPECT_TRUE(anomalies_.empty()) << anomalies_.front().explanation;
}

TEST_F(DetectorTest, NewFileIsOneExplainedAnomaly) {
  auto d = make_detector();
  learn_until_stable(*d);
  d->observe(open_file(100, "/etc/shadow"), "host1", kWeb);
  d->observe(open_file(100, "/etc/shadow"), "host1", kWeb);  // same process again: no repeat
  steady(*d, 50);
  ASSERT_EQ(anomalies_.size(), 1u);
  const Anomaly& a = anomalies_[0];
  EXPECT_EQ(a.kind, AnomalyKind::kFile);
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.subject, "/etc/shadow");
  EXPECT_EQ(a.container_name, "web");
  EXPECT_EQ(a.image, "shop/web:1.0");
  EXPECT_EQ(a.host, "host1");
  EXPECT_EQ(a.process.pid, 100);
  EXPECT_EQ(a.process.comm, "worker");
  EXPECT_NE(a.explanation.find("/etc/shadow for reading"), std::string::npos) << a.explanation;
  EXPECT_NE(a.profile_state.find("stable"), std::string::npos);
}

TEST_F(DetectorTest, ARecycledPidIsANewProcess) {
  auto d = make_detector();
  learn_until_stable(*d);
  d->observe(open_file(100, "/etc/shadow"), "host1", kWeb);
  SyscallEvent reparented = open_file(100, "/etc/shadow");
  reparented.ppid = 77;  // its parent died and it was reparented: same process, no new report
  d->observe(reparented, "host1", kWeb);
  EXPECT_EQ(anomalies_.size(), 1u);
  SyscallEvent again = open_file(100, "/etc/shadow");
  again.ppid = 55;  // another process now has pid 100
  again.comm = "other";
  d->observe(again, "host1", kWeb);
  // Its own reports: a program the image never ran, and the file again.
  EXPECT_EQ(std::count_if(anomalies_.begin(), anomalies_.end(),
                          [](const Anomaly& a) { return a.kind == AnomalyKind::kFile; }),
            2);
}

TEST_F(DetectorTest, NewProgramIsReportedOnceWithItsCommandLine) {
  auto d = make_detector();
  learn_until_stable(*d);
  const std::vector<std::string> argv{"ls", "-l", "/srv"};
  d->observe(event(200, SYS_execve, {std::string("/bin/ls"), argv, uint64_t{0}}, 0, "ls", "/bin/ls"),
             "host1", kWeb);
  for (int i = 0; i < 40; ++i) d->observe(event(200, SYS_read, {}, 0, "ls", "/bin/ls"), "host1", kWeb);
  ASSERT_EQ(anomalies_.size(), 1u);
  EXPECT_EQ(anomalies_[0].kind, AnomalyKind::kProgram);
  EXPECT_EQ(anomalies_[0].subject, "/bin/ls");
  EXPECT_EQ(anomalies_[0].process.cmdline, argv);
}

TEST_F(DetectorTest, OneOddCallIsToleratedABurstIsNot) {
  auto d = make_detector();
  learn_until_stable(*d);
  steady(*d, 10);
  d->observe(event(100, SYS_getuid), "host1", kWeb);  // one odd call
  steady(*d, 10);
  EXPECT_TRUE(anomalies_.empty());
  for (int nr : {SYS_socket, SYS_dup2, SYS_dup2, SYS_getuid, SYS_ptrace, SYS_mprotect, SYS_setuid,
                 SYS_fork, SYS_kill, SYS_chmod, SYS_unlink, SYS_getuid})
    d->observe(event(100, nr), "host1", kWeb);
  ASSERT_EQ(anomalies_.size(), 1u);
  const Anomaly& a = anomalies_[0];
  EXPECT_EQ(a.kind, AnomalyKind::kSequence);
  EXPECT_GT(a.score, a.threshold);
  EXPECT_GE(a.threshold, config_.threshold.floor);
  EXPECT_FALSE(a.sequence.empty());
  EXPECT_NE(a.explanation.find("threshold"), std::string::npos);
}

// A call the program makes now and then (a timer's getpid among its loops) is rare but seen:
// packed densely, such calls can take a window over a low threshold, yet every sequence in it
// was learned. That is no sequence anomaly; one never-seen sequence among them is.
TEST_F(DetectorTest, RareButLearnedCallsTogetherAreNoSequenceAnomaly) {
  config_.threshold.floor = 0.1;
  auto d = make_detector();
  auto tick_loop = [&](int32_t pid) { d->observe(event(pid, SYS_getpid), "host1", kWeb); };
  for (int second = 0; second < 12; ++second) {
    for (int loop = 0; loop < 100; ++loop) {
      steady(*d, 1);
      if (loop % 50 == 0) tick_loop(100);
    }
    ++now_;
    d->tick();
  }
  ASSERT_EQ(d->profile(kWeb.image_id)->state, ProfileState::kStable);
  const double threshold = d->profile(kWeb.image_id)->programs.begin()->second.threshold;
  ASSERT_LT(threshold, 1.0);  // the dense ticks below score about 2.7 × ln(50) / 16 ≈ 0.65–1

  for (int i = 0; i < 40; ++i) {  // a tick after every loop: each 6 calls seen while learning
    steady(*d, 1);
    tick_loop(100);
  }
  EXPECT_TRUE(anomalies_.empty()) << anomalies_.front().explanation;
  EXPECT_GT(d->rare_windows_not_reported(), 0u) << "the ticks never took a window over " << threshold;

  steady(*d, 20);
  for (int nr : {SYS_getuid, SYS_setuid, SYS_getuid}) d->observe(event(100, nr), "host1", kWeb);
  steady(*d, 1);
  ASSERT_EQ(anomalies_.size(), 1u);
  EXPECT_EQ(anomalies_[0].kind, AnomalyKind::kSequence);
  EXPECT_NE(anomalies_[0].explanation.find("never seen after the calls before"), std::string::npos)
      << anomalies_[0].explanation;
}

TEST_F(DetectorTest, ProfilesSurviveARestart) {
  {
    auto d = make_detector();
    learn_until_stable(*d);
    d->save_all();
  }
  auto d = make_detector();
  steady(*d, 500);
  ASSERT_NE(d->profile(kWeb.image_id), nullptr);
  EXPECT_EQ(d->profile(kWeb.image_id)->state, ProfileState::kStable);
  EXPECT_TRUE(anomalies_.empty());
  d->observe(open_file(100, "/root/.ssh/id_rsa"), "host1", kWeb);
  EXPECT_EQ(anomalies_.size(), 1u);
}

TEST_F(DetectorTest, AProfileSavedUnderALowerFloorIsRaisedToTheFloorWhenLoaded) {
  config_.threshold.floor = 0.5;  // as an older version, or a lower --min-threshold, calibrated it
  {
    auto d = make_detector();
    learn_until_stable(*d);
    for (const auto& [key, program] : d->profile(kWeb.image_id)->programs) ASSERT_LT(program.threshold, 3.0);
    d->save_all();
  }
  config_.threshold.floor = 3.0;
  auto d = make_detector();
  steady(*d, 1);
  ASSERT_EQ(d->profile(kWeb.image_id)->state, ProfileState::kStable);
  for (const auto& [key, program] : d->profile(kWeb.image_id)->programs) EXPECT_GE(program.threshold, 3.0);
}

TEST_F(DetectorTest, AProfileThatCannotBeSavedIsRetriedAndReportedAtExit) {
  // Issue 11: with the disk full, a stable profile never reached disk and exit said nothing.
  // A directory where the temporary file goes makes every save fail, even for root.
  const fs::path profile_file = store_->path_for(kWeb.image_id);
  const fs::path blocker = profile_file.string() + ".tmp";
  fs::create_directories(blocker / "inside");
  auto d = make_detector();
  learn_until_stable(*d);
  auto lines_with = [this](const std::string& text) {
    return std::count_if(log_.begin(), log_.end(),
                         [&](const std::string& l) { return l.find(text) != std::string::npos; });
  };
  // Retried every interval, but reported once while learning and once more when it is stable.
  EXPECT_EQ(lines_with("error: cannot save the learning profile of shop/web:1.0"), 1);
  EXPECT_EQ(lines_with("error: cannot save the stable profile of shop/web:1.0"), 1);
  std::vector<std::string> unsaved = d->save_all();
  ASSERT_EQ(unsaved.size(), 1u);
  EXPECT_NE(unsaved[0].find("stable profile of shop/web:1.0"), std::string::npos) << unsaved[0];
  EXPECT_NE(unsaved[0].find("not on disk"), std::string::npos) << unsaved[0];

  fs::remove_all(blocker);  // space again: the next interval's try works and says so
  now_ += 2;
  d->tick();
  EXPECT_EQ(lines_with("saved the stable profile of shop/web:1.0 after"), 1);
  EXPECT_TRUE(fs::is_regular_file(profile_file));
  EXPECT_TRUE(d->save_all().empty());
}

TEST_F(DetectorTest, RemovingTheFileResetsTheProfile) {
  auto d = make_detector();
  learn_until_stable(*d);
  ASSERT_TRUE(store_->remove(kWeb.image_id));
  ++now_;
  d->tick();
  EXPECT_EQ(d->profile(kWeb.image_id)->state, ProfileState::kLearning);
  d->observe(open_file(100, "/etc/shadow"), "host1", kWeb);
  EXPECT_TRUE(anomalies_.empty());  // learning again
}

TEST_F(DetectorTest, NewTagCanStartFromThePreviousOne) {
  config_.seed_from_previous_tag = true;
  auto d = make_detector();
  learn_until_stable(*d);
  const ContainerMeta v2{"web2", "shop/web:2.0", "sha256:bbbb0000000000000000000000000000"};
  d->observe(open_file(300, "/etc/app.conf"), "host1", v2);
  const ImageProfile* p = d->profile(v2.image_id);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->state, ProfileState::kLearning);
  EXPECT_EQ(p->seeded_from, "shop/web:1.0");
  EXPECT_TRUE(p->files.count("r /etc/app.conf"));
}

TEST(ProfileCodec, RoundTripsAndRejectsGarbage) {
  ImageProfile p;
  p.image = "a:1";
  p.image_id = "sha256:1234";
  p.state = ProfileState::kStable;
  p.first_seen = 5;
  p.files = {"r /etc/x"};
  ProgramProfile& prog = p.programs[{"/bin/a", "a"}];
  prog.exe = "/bin/a";
  prog.comm = "a";
  prog.threshold = 2.5;
  NgramKey k;
  k.calls = {-1, -1, -1, -1, 0, 257};
  prog.ngrams[k] = 7;
  prog.holdout.push_back({42, k});
  auto back = decode_profile(encode_profile(p));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->image_id, p.image_id);
  EXPECT_EQ(back->state, ProfileState::kStable);
  EXPECT_EQ(back->files, p.files);
  const ProgramProfile& b = back->programs.at({"/bin/a", "a"});
  EXPECT_EQ(b.ngrams.at(k), 7u);
  EXPECT_DOUBLE_EQ(b.threshold, 2.5);
  ASSERT_EQ(b.holdout.size(), 1u);
  EXPECT_EQ(b.holdout[0].tid, 42);
  EXPECT_FALSE(decode_profile("garbage"));
  EXPECT_FALSE(decode_profile(""));
  std::string truncated = encode_profile(p);
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(decode_profile(truncated));
}

// The scanner remembers file keys by the path as given: the same path relative to another
// working directory, or opened in another mode, must not reuse a remembered key, and it must
// stay right after the memo is emptied (past 2048 names). A fresh scanner, which remembers
// nothing yet, gives the expected keys.
TEST(ResourceScanner, RemembersNoKeyAcrossRepeatsModesAndWorkingDirectories) {
  auto open = [](const std::string& path, int64_t flags, int64_t ret = 3) {
    SyscallEvent e;
    e.syscall_nr = SYS_openat;
    e.ret = ret;
    e.args = {int64_t{-100}, path, flags, uint64_t{0}};
    return e;
  };
  auto call = [](int nr, std::vector<ArgValue> args, int64_t ret) {
    SyscallEvent e;
    e.syscall_nr = nr;
    e.ret = ret;
    e.args = std::move(args);
    return e;
  };
  std::vector<std::pair<SyscallEvent, std::string>> stream = {
      {open("index.html", O_RDONLY), "/srv/www"},
      {open("index.html", O_RDONLY), "/srv/other"},
      {open("index.html", O_WRONLY), "/srv/www"},
      {open("/etc/passwd", O_RDONLY), "/srv/www"},
      {open("/etc/passwd", O_RDONLY), "/"},
      {open("/etc/passwd", O_RDWR), "/"},
      {open("/missing", O_RDONLY, -ENOENT), "/"},
      {open("/etc/shadow", O_RDONLY, -EACCES), "/"},
      {open("../x/1234", O_CREAT | O_WRONLY), "/tmp/a"},
      {call(SYS_execve, {std::string("/bin/sh"), std::vector<std::string>{"sh"}, uint64_t{0}}, 0), "/"},
      {call(SYS_connect, {int64_t{3}, std::string("127.0.0.1:6379"), int64_t{16}}, 0), "/"},
      {call(SYS_accept4, {int64_t{3}, std::string("127.0.0.1:51234"), uint64_t{0}, int64_t{0}}, 5), "/"},
      {call(SYS_renameat, {int64_t{-100}, std::string("t.rdb"), int64_t{-100}, std::string("dump.rdb")}, 0), "/data"},
      {call(SYS_read, {int64_t{3}, uint64_t{0}, uint64_t{16}}, 16), "/"},
  };
  for (int i = 0; i < 2100; ++i) stream.push_back({open("/var/cache/f" + std::string(1, char('a' + i % 26)) + "/" + std::to_string(i), O_RDONLY), "/"});
  stream.push_back({open("index.html", O_RDONLY), "/srv/other"});
  stream.push_back({open("/etc/passwd", O_RDONLY), "/"});

  ResourceScanner scanner;
  size_t with_resource = 0;
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& [e, cwd] : stream) {
      ResourceScanner fresh;
      const std::span<const Resource> first = fresh.scan(e, cwd);
      const std::vector<Resource> expected(first.begin(), first.end());
      const std::span<const Resource> got = scanner.scan(e, cwd);
      ASSERT_EQ(got.size(), expected.size()) << e.syscall_nr << " in " << cwd;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].kind, expected[i].kind);
        EXPECT_EQ(got[i].key, expected[i].key);
      }
      with_resource += got.size();
    }
  EXPECT_EQ(with_resource, 2 * (stream.size() - 2));  // all but the failed lookup and the read
  EXPECT_EQ(scanner.scan(stream[0].first, "/srv/www")[0].key, "r /srv/www/index.html");
  EXPECT_EQ(scanner.scan(stream[1].first, "/srv/other")[0].key, "r /srv/other/index.html");
}

TEST(PathNormalizer, FoldsNumbersAndSlashes) {
  EXPECT_EQ(normalize_path("/proc/1234/status"), "/proc/<n>/status");
  EXPECT_EQ(normalize_path("base/16384/16764_fsm"), "base/<n>/<n>_fsm");
  EXPECT_EQ(normalize_path("/var/lib/redis/temp-4242.rdb"), "/var/lib/redis/temp-<n>.rdb");
  EXPECT_EQ(normalize_path("/var/lib/redis/temp-13.rdb"), "/var/lib/redis/temp-<n>.rdb");
  EXPECT_EQ(normalize_path("/usr/lib/x86_64-linux-gnu/libc.so.6"), "/usr/lib/x<n>_<n>-linux-gnu/libc.so.<n>");
  EXPECT_EQ(normalize_path("/run/sess_9f86d081884c7d65"), "/run/sess_<x>");
  // PostgreSQL WAL segments: with and without hex letters, one name.
  EXPECT_EQ(normalize_path("pg_wal/000000010000000000000009"), "pg_wal/<x>");
  EXPECT_EQ(normalize_path("pg_wal/00000001000000000000000A"), "pg_wal/<x>");
  EXPECT_EQ(normalize_path("/proc/1234/status"), "/proc/<n>/status");
  EXPECT_EQ(normalize_path("/etc/./shadow"), "/etc/shadow");
  EXPECT_EQ(normalize_path("/tmp/../etc/shadow"), "/etc/shadow");
  EXPECT_EQ(normalize_path("/../../etc/shadow"), "/etc/shadow");
  EXPECT_EQ(normalize_path("../x"), "../x");
  EXPECT_EQ(resolve_path("/etc", "shadow"), "/etc/shadow");
  EXPECT_EQ(resolve_path("", "shadow"), "shadow");
  EXPECT_EQ(resolve_path("/etc", "/bin/sh"), "/bin/sh");
  EXPECT_EQ(normalize_path("//etc//passwd/"), "/etc/passwd");
  EXPECT_EQ(normalize_path("/proc/self/fd/3"), "/proc/self/fd/<n>");
  EXPECT_EQ(normalize_path("data/file1"), "data/file<n>");
  EXPECT_EQ(normalize_path("/"), "/");
}

// The detector builds "MODE PATH" keys in one string, resolving ".." in place as it writes: the
// result must be what normalising the joined path gives, whatever precedes it in the string.
TEST(PathNormalizer, AppendingResolvesAgainstTheWorkingDirectoryAsJoiningDoes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/srv/www", "page10.html"}, {"/srv/www", "../../../etc/shadow"}, {"/var/lib/1234", "./a/../b"},
      {"/", "x"},                   {"", "a/b/.."},                      {"", "a/.."},
      {"", "../../x/.."},           {"/a/b", "/etc/passwd"},             {"relative/cwd", "x"},
      {"/a", ""},                   {"", ""},                            {"/tmp", "..//..//tmp/./9f86d081884c7d65/."}};
  for (const auto& [cwd, path] : cases) {
    std::string key = "rw /x/y ";  // a slash before the path must never be cut by a ".."
    append_normalized_path(key, cwd, path);
    EXPECT_EQ(key, "rw /x/y " + normalize_path(resolve_path(cwd, path))) << cwd << " + " << path;
  }
  std::string key = "r ";
  append_normalized_path(key, "/srv/www", "../../../etc/shadow");
  EXPECT_EQ(key, "r /etc/shadow");
  key = "r ";
  append_normalized_path(key, "", "a/..");
  EXPECT_EQ(key, "r .");
}

}  // namespace
}  // namespace da
