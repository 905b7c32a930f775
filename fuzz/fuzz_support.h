#pragma once
// Shared by the libFuzzer targets: a private scratch directory for the loaders that read files,
// and a check that stops the run (libFuzzer then saves the input) when a property fails.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/syscall_event.h"
#include "synthetic_events.h"

namespace da::fuzz {

// One directory per fuzzing process, removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "da-fuzz-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    std::atexit([] { std::filesystem::remove_all(scratch_dir()); });
    return std::filesystem::path(tmpl);
  }();
  return dir;
}

inline std::filesystem::path write_scratch(const std::string& name, std::string_view bytes) {
  const auto path = scratch_dir() / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// One call of a worker process in container "ccc…" (targets and seeds build events alike).
inline SyscallEvent worker_call(int64_t second, int32_t pid, int nr, std::vector<ArgValue> args = {},
                                int64_t ret = 0) {
  return synthetic::call(second, pid, nr, std::move(args), ret);
}

// A broken invariant is a finding like a crash: say which, then abort so libFuzzer keeps the input.
#define DA_FUZZ_CHECK(condition)                                                   \
  do {                                                                             \
    if (!(condition)) {                                                            \
      std::fprintf(stderr, "property failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
      std::abort();                                                                \
    }                                                                              \
  } while (0)

}  // namespace da::fuzz
