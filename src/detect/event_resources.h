#pragma once
// The programs, files and network peers one event touches, as profiles store them: paths
// resolved against the process's working directory and normalised, peers without ephemeral
// client ports. Table-driven by syscall class, so adding a syscall is one line.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/syscall_event.h"
#include "detect/anomaly.h"

namespace da {

struct Resource {
  AnomalyKind kind;  // kProgram, kFile or kNetwork
  std::string key;   // "/usr/bin/id"; "r /etc/passwd"; "connect 127.0.0.1:5432"
};

// The resource one event touches (at most one), keyed as profiles store it; `cwd` is the
// process's working directory when known (absolute), else empty. The result is built into a
// buffer kept from one event to the next and is valid until the next scan. Each file's key is
// remembered by the path as the event gave it: a server opens the same few files on every
// request, and normalising the path and allocating its key showed in the agent's profile.
class ResourceScanner {
 public:
  std::span<const Resource> scan(const SyscallEvent& e, std::string_view cwd);

 private:
  static constexpr size_t kRememberedKeys = 2048;
  Resource last_{AnomalyKind::kFile, {}};
  std::string raw_;  // mode, working directory (relative paths), path: the memo's key
  absl::flat_hash_map<std::string, std::string> keys_;
};

// Whether a scan reads the arguments of call `nr` (the rest have none).
bool has_resources(int nr);

// An open whose file is named by its path and flags alone (open, openat): what the kernel side
// can match to hold or judge it (KernelJudge::add_known_open).
bool is_path_and_flags_open(int nr);
struct PathAndFlagsOpen {
  const std::string* path;
  uint32_t flags;
};
std::optional<PathAndFlagsOpen> path_and_flags_open(const SyscallEvent& e);

// Argument `index` of the event as a string / an integer, or null / 0.
const std::string* string_at(const SyscallEvent& e, size_t index);
int64_t int_at(const SyscallEvent& e, size_t index);

// "r /etc/passwd" -> "/etc/passwd for reading".
std::string describe_file(const std::string& key);

}  // namespace da
