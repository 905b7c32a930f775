#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "docker/docker_api.h"

namespace da {
namespace {

std::string read_data(const std::string& name) {
  std::ifstream f(std::string(DA_TEST_DATA_DIR) + "/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST(DockerHost, ParsesUnixAndTcpForms) {
  auto def = parse_docker_host("");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->unix_socket, "/var/run/docker.sock");
  auto unix_ep = parse_docker_host("unix:///tmp/d/docker.sock");
  ASSERT_TRUE(unix_ep);
  EXPECT_EQ(unix_ep->unix_socket, "/tmp/d/docker.sock");
  EXPECT_EQ(unix_ep->base_url, "http://localhost");
  auto tcp = parse_docker_host("tcp://127.0.0.1:2375");
  ASSERT_TRUE(tcp);
  EXPECT_TRUE(tcp->unix_socket.empty());
  EXPECT_EQ(tcp->base_url, "http://127.0.0.1:2375");
  EXPECT_FALSE(parse_docker_host("ssh://host"));
  EXPECT_FALSE(parse_docker_host("unix://relative"));
}

TEST(DockerEvents, ParsesARecordedStream) {
  std::istringstream lines(read_data("docker_events.jsonl"));
  std::vector<DockerEvent> events;
  for (std::string line; std::getline(lines, line);) {
    auto e = parse_docker_event(line);
    ASSERT_TRUE(e) << e.error().message;
    if (*e) events.push_back(**e);
  }
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[1].kind, DockerEventKind::kStart);
  EXPECT_EQ(events[1].container_id.size(), 64u);
  EXPECT_EQ(events[1].name, "rec1");
  EXPECT_EQ(events[1].image, "da-busybox:test");
  EXPECT_GT(events[1].time_ns, 0u);
  EXPECT_EQ(events[2].kind, DockerEventKind::kOther);  // exec_create
  EXPECT_EQ(events[3].kind, DockerEventKind::kExecStart);
  EXPECT_EQ(events[3].action, "exec_start: sh -c echo hi");
  EXPECT_EQ(events[5].kind, DockerEventKind::kPause);
  EXPECT_EQ(events[6].kind, DockerEventKind::kUnpause);
  EXPECT_EQ(events[7].kind, DockerEventKind::kDie);
}

TEST(DockerEvents, IgnoresOtherTypesAndRejectsGarbage) {
  auto net = parse_docker_event(R"({"Type":"network","Action":"connect","Actor":{"ID":"x"}})");
  ASSERT_TRUE(net);
  EXPECT_FALSE(*net);
  EXPECT_FALSE(parse_docker_event("{not json"));
  EXPECT_FALSE(parse_docker_event("[1,2]"));
  EXPECT_FALSE(parse_docker_event(R"({"Type":"container","Action":"start"})"));  // no id
}

TEST(DockerInspect, ReadsPidNameImage) {
  auto c = parse_container_inspect(read_data("container_inspect.json"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->id.size(), 64u);
  EXPECT_EQ(c->name, "rec1");
  EXPECT_EQ(c->image, "da-busybox:test");
  EXPECT_EQ(c->image_id.rfind("sha256:", 0), 0u);
  EXPECT_GT(c->pid, 0);
  EXPECT_TRUE(c->running);
  // Issue 12: the compose labels say where to look; other labels are not carried.
  EXPECT_EQ(c->labels, (std::map<std::string, std::string>{{"com.docker.compose.project", "shop"},
                                                           {"com.docker.compose.service", "web"}}));
  EXPECT_FALSE(parse_container_inspect("[]"));
}

TEST(DockerList, ReadsIds) {
  auto ids = parse_container_list(read_data("container_list.json"));
  ASSERT_TRUE(ids) << ids.error().message;
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_EQ((*ids)[0].size(), 64u);
  EXPECT_FALSE(parse_container_list("{}"));
}

}  // namespace da
