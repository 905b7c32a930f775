#pragma once
// The programs, files and network peers one event touches, as profiles store them: paths
// resolved against the process's working directory and normalised, peers without ephemeral
// client ports. Table-driven by syscall class, so adding a syscall is one line.
#include <string>
#include <string_view>
#include <vector>

#include "core/syscall_event.h"
#include "detect/anomaly.h"

namespace da {

struct Resource {
  AnomalyKind kind;  // kProgram, kFile or kNetwork
  std::string key;   // "/usr/bin/id"; "r /etc/passwd"; "connect 127.0.0.1:5432"
};

// `cwd`: the process's working directory when known (absolute), else empty.
std::vector<Resource> resources_of(const SyscallEvent& e, std::string_view cwd);
// Whether resources_of reads the arguments of call `nr` (the rest have none).
bool has_resources(int nr);

// Argument `index` of the event as a string / an integer, or null / 0.
const std::string* string_at(const SyscallEvent& e, size_t index);
int64_t int_at(const SyscallEvent& e, size_t index);

// "r /etc/passwd" -> "/etc/passwd for reading".
std::string describe_file(const std::string& key);

}  // namespace da
