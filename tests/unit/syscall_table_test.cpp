#include <gtest/gtest.h>

#include "syscalls/syscall_table.h"

namespace da {

TEST(SyscallTable, KnowsX86_64NumbersNamesAndArguments) {
  const SyscallSpec* openat = find_syscall(257);
  ASSERT_NE(openat, nullptr);
  EXPECT_EQ(openat->name, "openat");
  ASSERT_EQ(openat->nargs, 4);
  EXPECT_EQ(openat->args[0].name, "dfd");
  EXPECT_EQ(openat->args[1].name, "filename");
  EXPECT_EQ(openat->args[1].kind, ArgKind::kPath);
  EXPECT_EQ(syscall_name(0), "read");
  EXPECT_EQ(syscall_name(59), "execve");
  EXPECT_EQ(syscall_number("connect"), 42);
}

TEST(SyscallTable, NeverReadsBuffersOrEnvironmentAsStrings) {
  const SyscallSpec* write = find_syscall(*syscall_number("write"));
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->args[1].kind, ArgKind::kPointer);
  const SyscallSpec* execve = find_syscall(*syscall_number("execve"));
  EXPECT_EQ(execve->args[1].kind, ArgKind::kArgv);
  EXPECT_EQ(execve->args[2].kind, ArgKind::kPointer);  // envp holds secrets
}

TEST(SyscallTable, DecodesSocketAddressesOfConnectAndAccept) {
  EXPECT_EQ(find_syscall(*syscall_number("connect"))->args[1].kind, ArgKind::kSockaddrIn);
  EXPECT_EQ(find_syscall(*syscall_number("accept4"))->args[1].kind, ArgKind::kSockaddrOut);
}

TEST(SyscallTable, UnknownNumbersGetAStableName) {
  EXPECT_EQ(find_syscall(999), nullptr);
  EXPECT_EQ(syscall_name(999), "syscall_999");
  EXPECT_EQ(syscall_name(-5), "syscall_unknown");
}

TEST(SyscallTable, I386NamesForTheAdfaDataset) {
  EXPECT_EQ(i386_syscall_name(252), "exit_group");
  EXPECT_EQ(i386_syscall_name(11), "execve");
  EXPECT_EQ(i386_syscall_name(5), "open");
}

TEST(SyscallTable, EveryRowIsConsistent) {
  for (const auto& s : all_syscalls()) {
    EXPECT_FALSE(s.name.empty());
    EXPECT_LE(s.nargs, 6) << s.name;
    for (int i = 0; i < s.nargs; ++i) EXPECT_FALSE(s.args[i].name.empty()) << s.name;
  }
  EXPECT_GT(all_syscalls().size(), 300u);
}

}  // namespace da
