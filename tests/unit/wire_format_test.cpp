#include <gtest/gtest.h>

#include <msgpack.hpp>

#include "syscalls/event_json.h"
#include "transport/wire_format.h"

namespace da {
namespace {

SyscallEvent sample_openat() {
  SyscallEvent e;
  e.timestamp_ns = 1700000000123456789ULL;
  e.container_id = std::string(64, 'a');
  e.pid = 4242;
  e.tid = 4243;
  e.ns_pid = 7;
  e.comm = "cat";
  e.exe = "/bin/busybox";
  e.syscall_nr = 257;
  e.args = {int64_t{-100}, std::string("/etc/hostname"), int64_t{0}, uint64_t{0}};
  e.ret = 3;
  return e;
}

}  // namespace

TEST(WireFormat, RoundTripKeepsEveryField) {
  SyscallEvent execve = sample_openat();
  execve.syscall_nr = 59;
  execve.args = {std::string("/bin/cat"), std::vector<std::string>{"cat", "/etc/hostname"},
                 uint64_t{0x7ffd0000}};
  EventBatch batch{"host1", "agent-1", 42, {sample_openat(), execve}, {}, 0};
  batch.lost = 17;
  batch.containers[std::string(64, 'c')] = {"web", "shop/web:1.0", "sha256:abc",
                                             {{"io.kubernetes.pod.name", "web-7d4b9"}, {"io.kubernetes.pod.namespace", "shop"}}};
  auto decoded = decode_batch(encode_batch(batch));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->host, "host1");
  EXPECT_EQ(decoded->agent_id, "agent-1");
  EXPECT_EQ(decoded->sequence, 42u);
  EXPECT_EQ(decoded->lost, 17u);
  ASSERT_EQ(decoded->containers.size(), 1u);
  EXPECT_EQ(decoded->containers.begin()->second.image, "shop/web:1.0");
  EXPECT_EQ(decoded->containers.begin()->second.labels.at("io.kubernetes.pod.name"), "web-7d4b9");
  ASSERT_EQ(decoded->events.size(), 2u);
  const auto& e = decoded->events[0];
  EXPECT_EQ(e.timestamp_ns, 1700000000123456789ULL);
  EXPECT_EQ(e.container_id, std::string(64, 'a'));
  EXPECT_EQ(e.pid, 4242);
  EXPECT_EQ(e.tid, 4243);
  EXPECT_EQ(e.ns_pid, 7);
  EXPECT_EQ(e.comm, "cat");
  EXPECT_EQ(e.exe, "/bin/busybox");
  EXPECT_EQ(e.syscall_nr, 257);
  EXPECT_EQ(e.ret, 3);
  EXPECT_EQ(std::get<int64_t>(e.args[0]), -100);
  EXPECT_EQ(std::get<std::string>(e.args[1]), "/etc/hostname");
  EXPECT_EQ(std::get<std::vector<std::string>>(decoded->events[1].args[1]),
            (std::vector<std::string>{"cat", "/etc/hostname"}));
}

TEST(WireFormat, AnyMsgpackReaderSeesNamedFields) {
  // Decoded generically, as another language's msgpack library would.
  std::string bytes = encode_batch({"h", "a", 1, {sample_openat()}});
  auto handle = msgpack::unpack(bytes.data(), bytes.size());
  auto root = handle.get().as<std::map<std::string, msgpack::object>>();
  EXPECT_EQ(root.at("v").as<int>(), 1);
  auto events = root.at("events").as<std::vector<std::map<std::string, msgpack::object>>>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("name").as<std::string>(), "openat");
  EXPECT_EQ(events[0].at("args").via.array.ptr[1].as<std::string>(), "/etc/hostname");
}

TEST(WireFormat, RejectsGarbageWithoutCrashing) {
  EXPECT_FALSE(decode_batch(""));
  EXPECT_FALSE(decode_batch("not msgpack at all"));
  EXPECT_FALSE(decode_batch(std::string("\x93\x01\x02\x03", 4)));  // an array, not a map
  std::string good = encode_batch({"h", "a", 1, {sample_openat()}});
  for (size_t cut = 0; cut < good.size(); cut += 7) EXPECT_FALSE(decode_batch(good.substr(0, cut)));
  // Flipped bytes decode or fail with a message, never crash.
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    (void)decode_batch(bad);
  }
}

TEST(WireFormat, RejectsOtherVersions) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_map(2);
  pk.pack(std::string("v"));
  pk.pack(99);
  pk.pack(std::string("events"));
  pk.pack_array(0);
  auto r = decode_batch(std::string(buffer.data(), buffer.size()));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("version 99"), std::string::npos);
}

TEST(EventJson, HasTheOriginalToolsShape) {
  auto j = event_to_json(sample_openat());
  EXPECT_EQ(j["name"], "openat");
  EXPECT_EQ(j["arguments"][0]["name"], "dfd");
  EXPECT_EQ(j["arguments"][0]["type"], "int");
  EXPECT_EQ(j["arguments"][0]["value"], -100);
  EXPECT_EQ(j["arguments"][1]["value"], "/etc/hostname");
  EXPECT_EQ(j["return"], 3);
  EXPECT_EQ(j["container_id"], std::string(64, 'a'));
}

}  // namespace da
