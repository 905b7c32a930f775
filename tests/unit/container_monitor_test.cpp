// The glue between Docker and capture, with a recording fake backend: what Docker reports is
// what the backend is told, once; metadata outlives a stopped container for in-flight events.
#include <gtest/gtest.h>

#include "app/container_monitor.h"

namespace da {
namespace {

class RecordingBackend final : public CaptureBackend {
 public:
  std::string name() const override { return "recording"; }
  Status start() override { return ok_status(); }
  Status add_container(const ContainerTarget& t) override {
    calls.push_back("add " + t.id + " " + std::to_string(t.init_pid));
    if (refuse) return Error{"cannot trace any process", ErrorCause::kPermission, 1};
    return ok_status();
  }
  void rescan_container(const std::string& id) override { calls.push_back("rescan " + id); }
  void remove_container(const std::string& id) override { calls.push_back("remove " + id); }
  void stop() override {}
  CaptureStats stats() override { return {}; }
  std::vector<std::string> calls;
  bool refuse = false;
};

ContainerInfo info(const std::string& id, int pid) {
  ContainerInfo i;
  i.id = id;
  i.pid = pid;
  i.name = "web-" + id;
  i.image = "shop/web:1.0";
  i.image_id = "sha256:aaaa";
  i.running = true;
  return i;
}

TEST(ContainerMonitor, TellsTheBackendOnceAndKeepsMetadataForEventsInFlight) {
  Console console;
  RecordingBackend backend;
  ContainerMonitor monitor(console);
  monitor.set_backend(&backend);
  monitor.container_running(info("a", 10));
  monitor.container_running(info("a", 10));  // the scan and the start event both report it
  monitor.container_exec("a", "exec_start: sh");
  monitor.container_exec("unknown", "exec_start: sh");  // not ours: nothing to rescan
  monitor.container_stopped("a");
  monitor.container_stopped("a");  // a replayed die event
  EXPECT_EQ(backend.calls, (std::vector<std::string>{"add a 10", "rescan a", "remove a"}));
  ASSERT_TRUE(monitor.metadata("a"));
  EXPECT_EQ(monitor.metadata("a")->image, "shop/web:1.0");
  EXPECT_TRUE(monitor.containers().empty());
  // Restarted: same id, new init process: attached again.
  monitor.container_running(info("a", 20));
  EXPECT_EQ(backend.calls.back(), "add a 20");
}

TEST(ContainerMonitor, ABackendThatCannotAttachIsReportedNotFatal) {
  Console console;
  RecordingBackend backend;
  backend.refuse = true;
  ContainerMonitor monitor(console);
  monitor.set_backend(&backend);
  ::testing::internal::CaptureStderr();
  monitor.container_running(info("b", 30));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("cannot monitor container b: cannot trace any process"), std::string::npos) << err;
  EXPECT_EQ(monitor.containers().count("b"), 1u);  // later processes may still be attachable
}

}  // namespace
}  // namespace da
