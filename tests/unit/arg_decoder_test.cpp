#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <map>

#include "syscalls/arg_decoder.h"

namespace da {
namespace {

// A fake tracee address space: a few byte ranges at chosen addresses.
class FakeMemory final : public TraceeMemory {
 public:
  void put(uint64_t address, const void* data, size_t len) {
    regions_[address] = std::string(static_cast<const char*>(data), len);
  }
  void put_string(uint64_t address, const std::string& s) { put(address, s.c_str(), s.size() + 1); }

  bool read(pid_t, uint64_t address, void* out, size_t len) override {
    for (const auto& [start, bytes] : regions_) {
      if (address >= start && address + len <= start + bytes.size()) {
        std::memcpy(out, bytes.data() + (address - start), len);
        return true;
      }
    }
    return false;
  }
  std::optional<std::string> read_string(pid_t, uint64_t address, size_t max_len) override {
    for (const auto& [start, bytes] : regions_) {
      if (address >= start && address < start + bytes.size()) {
        std::string s(bytes.c_str() + (address - start));
        return s.substr(0, max_len);
      }
    }
    return std::nullopt;
  }
  // As the eBPF backend's record does: into the caller's buffer.
  bool read_string_into(pid_t tid, uint64_t address, size_t max_len, std::string& out) override {
    auto s = read_string(tid, address, max_len);
    if (s) out.assign(*s);
    return s.has_value();
  }

 private:
  std::map<uint64_t, std::string> regions_;
};

const SyscallSpec& spec(const char* name) { return *find_syscall(*syscall_number(name)); }

}  // namespace

TEST(ArgDecoder, OpenatPathAndSignedDirfd) {
  FakeMemory mem;
  mem.put_string(0x1000, "/etc/hostname");
  std::array<uint64_t, 6> raw{static_cast<uint64_t>(-100), 0x1000, 0, 0, 0, 0};
  auto args = decode_arguments(&spec("openat"), raw, 3, 1, mem);
  ASSERT_EQ(args.size(), 4u);
  EXPECT_EQ(std::get<int64_t>(args[0]), -100);
  EXPECT_EQ(std::get<std::string>(args[1]), "/etc/hostname");
  EXPECT_EQ(std::get<int64_t>(args[2]), 0);
}

TEST(ArgDecoder, UnreadablePathKeepsTheAddress) {
  FakeMemory mem;
  std::array<uint64_t, 6> raw{0, 0xdead, 0, 0, 0, 0};
  auto args = decode_arguments(&spec("openat"), raw, -14, 1, mem);
  EXPECT_EQ(std::get<uint64_t>(args[1]), 0xdeadu);
}

TEST(ArgDecoder, ExecveArgvButNotEnvironment) {
  FakeMemory mem;
  mem.put_string(0x1000, "/bin/cat");
  mem.put_string(0x2000, "cat");
  mem.put_string(0x2100, "/etc/shadow");
  uint64_t argv[] = {0x2000, 0x2100, 0};
  mem.put(0x3000, argv, sizeof argv);
  std::array<uint64_t, 6> raw{0x1000, 0x3000, 0x4000, 0, 0, 0};
  auto args = decode_arguments(&spec("execve"), raw, 0, 1, mem);
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(std::get<std::string>(args[0]), "/bin/cat");
  EXPECT_EQ(std::get<std::vector<std::string>>(args[1]),
            (std::vector<std::string>{"cat", "/etc/shadow"}));
  EXPECT_EQ(std::get<uint64_t>(args[2]), 0x4000u);
}

TEST(ArgDecoder, ConnectInet4AndUnixAddresses) {
  FakeMemory mem;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(6379);
  inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
  mem.put(0x1000, &in, sizeof in);
  std::array<uint64_t, 6> raw{3, 0x1000, sizeof in, 0, 0, 0};
  auto args = decode_arguments(&spec("connect"), raw, 0, 1, mem);
  EXPECT_EQ(std::get<std::string>(args[1]), "127.0.0.1:6379");

  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strcpy(un.sun_path, "/run/app.sock");
  mem.put(0x2000, &un, sizeof un);
  raw = {3, 0x2000, sizeof un, 0, 0, 0};
  args = decode_arguments(&spec("connect"), raw, 0, 1, mem);
  EXPECT_EQ(std::get<std::string>(args[1]), "/run/app.sock");
}

TEST(ArgDecoder, AcceptAddressOnlyWhenTheCallSucceeded) {
  FakeMemory mem;
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  inet_pton(AF_INET6, "::1", &in6.sin6_addr);
  mem.put(0x1000, &in6, sizeof in6);
  int32_t len = sizeof in6;
  mem.put(0x2000, &len, sizeof len);
  std::array<uint64_t, 6> raw{3, 0x1000, 0x2000, 0, 0, 0};
  EXPECT_EQ(std::get<std::string>(decode_arguments(&spec("accept4"), raw, 5, 1, mem)[1]),
            "[::1]:443");
  EXPECT_EQ(std::get<uint64_t>(decode_arguments(&spec("accept4"), raw, -11, 1, mem)[1]), 0x1000u);
}

TEST(ArgDecoder, UnknownSyscallGivesSixRawArguments) {
  FakeMemory mem;
  std::array<uint64_t, 6> raw{1, 2, 3, 4, 5, 6};
  auto args = decode_arguments(nullptr, raw, 0, 1, mem);
  ASSERT_EQ(args.size(), 6u);
  EXPECT_EQ(std::get<uint64_t>(args[5]), 6u);
}

TEST(ArgDecoder, ExecveIsDecodedAtEntry) {
  EXPECT_TRUE(decode_at_entry(*syscall_number("execve")));
  EXPECT_FALSE(decode_at_entry(*syscall_number("openat")));
}

}  // namespace da

namespace da {

TEST(ArgDecoder, DecodingIntoAReusedListReplacesEveryArgumentAndKeepsItsBuffer) {
  FakeMemory mem;
  mem.put_string(0x1000, "/etc/hostname");
  std::vector<ArgValue> args;
  std::array<uint64_t, 6> open_raw{static_cast<uint64_t>(-100), 0x1000, 0, 0, 0, 0};
  decode_arguments_into(args, &spec("openat"), open_raw, 3, 1, mem);
  ASSERT_EQ(args.size(), 4u);
  const ArgValue* buffer = args.data();
  // A shorter call next: only its own arguments remain, in the same buffer.
  std::array<uint64_t, 6> close_raw{7, 0, 0, 0, 0, 0};
  decode_arguments_into(args, &spec("close"), close_raw, 0, 1, mem);
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(std::get<uint64_t>(args[0]), 7u);
  EXPECT_EQ(args.data(), buffer);
  // Narrow signed arguments of every kind of row still keep their sign (kill's pid_t, int sig).
  std::array<uint64_t, 6> kill_raw{0xffffffffu, 9, 0, 0, 0, 0};
  decode_arguments_into(args, &spec("kill"), kill_raw, 0, 1, mem);
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(std::get<int64_t>(args[0]), -1);
  EXPECT_EQ(std::get<int64_t>(args[1]), 9);
  EXPECT_EQ(decode_arguments(&spec("kill"), kill_raw, 0, 1, mem), args);
}

TEST(ArgDecoder, APathLandsInAStringBufferAnEarlierEventLeft) {
  FakeMemory mem;
  mem.put_string(0x1000, "/usr/share/nginx/html/index.html");
  mem.put_string(0x2000, "/usr/share/nginx/html/about.html");
  std::array<uint64_t, 6> open_index{static_cast<uint64_t>(-100), 0x1000, 0, 0, 0, 0};
  std::array<uint64_t, 6> open_about{static_cast<uint64_t>(-100), 0x2000, 0, 0, 0, 0};
  std::array<uint64_t, 6> open_unreadable{static_cast<uint64_t>(-100), 0x3000, 0, 0, 0, 0};
  std::array<uint64_t, 6> close_raw{7, 0, 0, 0, 0, 0};
  std::vector<ArgValue> args;
  decode_arguments_into(args, &spec("openat"), open_index, 3, 1, mem);
  const char* buffer = std::get<std::string>(args[1]).data();
  // The same element next time.
  decode_arguments_into(args, &spec("openat"), open_about, 3, 1, mem);
  EXPECT_EQ(std::get<std::string>(args[1]), "/usr/share/nginx/html/about.html");
  EXPECT_EQ(std::get<std::string>(args[1]).data(), buffer);
  // An integer over it sets the buffer aside (the list shrinks to close's one argument); the
  // next path, in another event's list, takes it.
  decode_arguments_into(args, &spec("close"), close_raw, 0, 1, mem);
  ASSERT_EQ(args.size(), 1u);
  std::vector<ArgValue> other;
  decode_arguments_into(other, &spec("openat"), open_index, 3, 1, mem);
  EXPECT_EQ(std::get<std::string>(other[1]), "/usr/share/nginx/html/index.html");
  EXPECT_EQ(std::get<std::string>(other[1]).data(), buffer);
  // A path that cannot be read is its address, as before.
  decode_arguments_into(other, &spec("openat"), open_unreadable, -14, 1, mem);
  ASSERT_EQ(other.size(), 4u);
  EXPECT_EQ(std::get<uint64_t>(other[1]), 0x3000u);
  EXPECT_EQ(other, decode_arguments(&spec("openat"), open_unreadable, -14, 1, mem));
  decode_arguments_into(other, &spec("openat"), open_about, 3, 1, mem);
  EXPECT_EQ(other, decode_arguments(&spec("openat"), open_about, 3, 1, mem));
}

}  // namespace da
