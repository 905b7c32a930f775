// Events as JSON lines (`--print-syscalls`, `dump`) and back (the replay backend's recordings).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include "synthetic_events.h"
#include "syscalls/event_json.h"

namespace da {
namespace {

TEST(EventJson, AnEventReadsBackAsItWasWithTheSignednessOfEachArgument) {
  const std::vector<SyscallEvent> events = {
      synthetic::call(1'800'000'000, 42, SYS_openat,
                      {int64_t{-100}, std::string("/etc/app.conf"), int64_t{O_RDONLY}, uint64_t{0}}, 3),
      synthetic::call(1'800'000'000, 42, SYS_execve,
                      {std::string("/bin/sh"), std::vector<std::string>{"sh", "-c", "id"}, uint64_t{140737488355328}},
                      0, "sh", "/bin/sh"),
      synthetic::call(1'800'000'000, 42, SYS_read, {uint64_t{3}, uint64_t{0}, uint64_t{4096}}, -11),
  };
  for (const auto& e : events) {
    auto back = event_from_json(nlohmann::json::parse(event_to_json(e).dump()));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->timestamp_ns, e.timestamp_ns);
    EXPECT_EQ(back->container_id, e.container_id);
    EXPECT_EQ(back->pid, e.pid);
    EXPECT_EQ(back->tid, e.tid);
    EXPECT_EQ(back->ns_pid, e.ns_pid);
    EXPECT_EQ(back->ppid, e.ppid);
    EXPECT_EQ(back->uid, e.uid);
    EXPECT_EQ(back->comm, e.comm);
    EXPECT_EQ(back->exe, e.exe);
    EXPECT_EQ(back->syscall_nr, e.syscall_nr);
    EXPECT_EQ(back->ret, e.ret);
    EXPECT_EQ(back->args, e.args) << event_to_json(e).dump();
  }
}

TEST(EventJson, LinesThatAreNotEventsAreRejectedWithAReason) {
  for (const char* line : {R"([1,2])", R"({"pid": 1})", R"({"name": "no_such_call"})",
                           R"({"nr": 5000})", R"({"nr": 0, "pid": "x"})", R"({"nr": 0, "pid": 1e300})",
                           R"({"nr": 0, "pid": 4294967296})", R"({"nr": 0, "arguments": [{"value": {}}]})",
                           R"({"nr": 0, "arguments": [1]})", R"({"nr": 0, "comm": 5})"}) {
    auto e = event_from_json(nlohmann::json::parse(line));
    EXPECT_FALSE(e) << line;
    if (!e) {
      EXPECT_FALSE(e.error().message.empty()) << line;
    }
  }
}

}  // namespace
}  // namespace da
