#pragma once
// Indicators: a small set of high-confidence signs of an attack that need no profile, so they
// work from the first second, while a profile is still learning too. Each is one rule with a
// name the alert carries (docs/detection.md lists them):
//   reverse-shell       a shell or interpreter whose standard input/output is a network socket
//                       it (or its parent) connected outward
//   persistence-write   a write to authorized_keys, cron, the password files, ld.so.preload,
//                       shell start-up files or a directory of system binaries
//   server-shell        a network daemon (redis-server, postgres, nginx, ...) that has bound or
//                       accepted an internet socket starts a shell
//   downloader          a download or network tool (curl, wget, nc, socat, ...) the image never ran
//   temp-exec           a program run from /tmp, /var/tmp or /dev/shm that the image never ran
//   terminal-shell      a shell attached to a terminal (docker exec -it, docker run -t)
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/syscall_event.h"
#include "detect/anomaly.h"
#include "detect/event_resources.h"
#include "detect/learned_set.h"
#include "detect/process_table.h"

namespace da {

struct IndicatorHit {
  std::string rule;
  Severity severity = Severity::kHigh;
  std::string subject;
  std::string explanation;
};

// `known_execs`: the executables the image's profile has seen run (learned so far).
std::vector<IndicatorHit> check_indicators(const SyscallEvent& e, const ProcessUpdate& update,
                                           std::span<const Resource> resources,
                                           const LearnedSet& known_execs);

bool is_shell(const std::string& program);
// Whether check_indicators reads call `nr` itself (beyond its resources and process update).
bool indicators_read(int nr);
// Whether a file resource ("MODE PATH") is one an indicator looks for.
bool indicators_watch_file(std::string_view key);

}  // namespace da
