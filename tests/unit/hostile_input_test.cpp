// Regressions of issue 11: input a container or a stream entry controls must never crash,
// forge output or blind the agent.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "alert/alert_format.h"
#include "app/capture_session.h"
#include "app/commands.h"
#include "syscalls/event_json.h"
#include "core/json_text.h"
#include "core/printable.h"
#include "detect/learned_set.h"
#include "detect/profile.h"
#include "syscalls/tracee_memory.h"
#include "transport/wire_format.h"

namespace da {
namespace {

TEST(HostileInput, InvalidUtf8FileNameDoesNotThrowWhenPrinted) {
  SyscallEvent e;
  e.comm = "sh\xff";
  e.syscall_nr = 257;
  e.args = {int64_t{-100}, std::string("/tmp/\xff\xfe"), int64_t{0}, uint64_t{0}};
  std::string text;
  ASSERT_NO_THROW(text = json_text(event_to_json(e)));
  EXPECT_NE(text.find("/tmp/\xEF\xBF\xBD"), std::string::npos) << text;  // U+FFFD
}

TEST(HostileInput, APathLongerThanTheCaptureReadsIsMarkedCut) {
  // Padding a path beyond what the capture reads must not make it look like a harmless one.
  const std::string longer = "/tmp/" + std::string(300, 'a') + "/../../etc/shadow";
  ProcessVmMemory memory;
  auto read = memory.read_string(getpid(), reinterpret_cast<uint64_t>(longer.c_str()), 255);
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, longer.substr(0, 255) + std::string(kTruncatedMark));
  auto whole = memory.read_string(getpid(), reinterpret_cast<uint64_t>(longer.c_str()), 4096);
  EXPECT_EQ(whole, longer);
  // Cut: sensitive, so no pattern of its directory covers it.
  LearnedSet learned;
  for (int i = 0; i < 10; ++i) learn_resource(learned, AnomalyKind::kFile, "r /tmp/page" + std::to_string(i));
  ASSERT_TRUE(learned.count("r /tmp/*"));
  EXPECT_TRUE(covers(learned, AnomalyKind::kFile, "r /tmp/" + std::string(250, 'a')));
  const std::string cut = "r /tmp/" + std::string(250, 'a') + std::string(kTruncatedMark);
  EXPECT_TRUE(is_sensitive_file(cut));
  EXPECT_FALSE(covers(learned, AnomalyKind::kFile, cut));
}

TEST(HostileInput, NewlineInAFileNameCannotForgeAnAlertLine) {
  Anomaly a;
  a.kind = AnomalyKind::kFile;
  a.host = "vm";
  a.container_name = "web";
  a.process.comm = "cat";
  a.process.cmdline = {"cat", "/tmp/x\nALERT high file anomaly at 2026 on FORGED"};
  a.explanation = "cat opened /tmp/x\nALERT high file anomaly at 2026 on FORGED for reading";
  const std::string text = alert_text(a);
  size_t alert_lines = 0;
  for (size_t at = 0; (at = text.find("ALERT", at)) != std::string::npos; ++at)
    if (at == 0 || text[at - 1] == '\n') ++alert_lines;
  EXPECT_EQ(alert_lines, 1u) << text;
  EXPECT_NE(text.find("/tmp/x\\nALERT"), std::string::npos) << text;
}

TEST(HostileInput, PrintableEscapesControlsAndKeepsUtf8) {
  EXPECT_EQ(printable("a\tb\r\n\x1b[2J\\"), "a\\tb\\r\\n\\x1b[2J\\\\");
  EXPECT_EQ(printable("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(HostileInput, HugeMsgpackCountsAreRejectedWithoutAllocating) {
  const auto start = std::chrono::steady_clock::now();
  for (std::string bytes : {std::string("\xdd\xff\xff\xff\xff", 5), std::string("\xdf\xff\xff\xff\xff", 5),
                            std::string("\xdb\xff\xff\xff\xff", 5)}) {
    auto batch = decode_batch(bytes);
    EXPECT_FALSE(batch);
    auto profile = decode_profile(bytes);
    EXPECT_FALSE(profile);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(HostileInput, ImportedProfileWithImpossibleTimesIsRejected) {
  ImageProfile p;
  p.image = "x:1";
  p.image_id = "sha256:1";
  p.first_seen = INT64_MIN;
  auto decoded = decode_profile(encode_profile(p));
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("first_seen"), std::string::npos) << decoded.error().message;
}

TEST(HostileInput, ResetAllSaysWhenAProfileCouldNotBeRemoved) {
  // Issue 11: `profiles reset --all` on a state dir it could not change said it had reset and
  // exited 0. A non-empty directory named like a profile cannot be removed, even by root.
  const std::string dir = ::testing::TempDir() + "/reset-all-" + std::to_string(getpid());
  const std::string profiles = dir + "/profiles";
  std::filesystem::create_directories(profiles + "/sha256_stuck.profile/inside");
  std::ofstream(profiles + "/sha256_other.profile") << "x";
  ProfilesOptions o;
  o.action = "reset";
  o.all = true;
  o.state_dir = dir;
  EXPECT_EQ(profiles_command(o), 1);
  EXPECT_FALSE(std::filesystem::exists(profiles + "/sha256_other.profile"));  // the rest still went
  std::filesystem::remove_all(profiles + "/sha256_stuck.profile");
  EXPECT_EQ(profiles_command(o), 0);
  std::filesystem::remove_all(dir);
}

TEST(HostileInput, UnreachableRedisIsAnErrorNotACrash) {
  Console console;
  CaptureOptions options;
  options.redis_url = "redis://127.0.0.1:1";  // nothing listens on port 1
  auto session = CaptureSession::create(options, true, console);
  ASSERT_FALSE(session);
  EXPECT_NE(session.error().message.find("cannot reach Redis"), std::string::npos)
      << session.error().message;
  options.redis_url = "redis://";
  EXPECT_FALSE(CaptureSession::create(options, false, console));
}

}  // namespace
}  // namespace da
