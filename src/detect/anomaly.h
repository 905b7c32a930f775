#pragma once
// What the engine reports: one deviation from a learned profile, with everything an admin needs
// to act on it (which container, image, process, what was new and how far from normal).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace da {

enum class AnomalyKind {
  kSequence,  // a burst of syscall sequences the program never made while learning
  kProgram,   // a program the image never ran
  kFile,      // a file the image never opened (in that access mode)
  kNetwork,   // a socket peer or local address the image never used
  kCaptureLoss,  // the agent itself lost syscalls (ring buffer or queue full)
  kIndicator,    // a sign of attack that needs no profile (detect/indicators.h); see `indicator`
};

enum class Severity { kLow, kMedium, kHigh };

struct ProcessContext {
  int32_t pid = 0;  // host pid
  int32_t tid = 0;
  int32_t ns_pid = 0;
  int32_t ppid = 0;
  int32_t uid = -1;
  std::string comm;
  std::string exe;
  std::vector<std::string> cmdline;  // argv of its execve, when the engine saw it
  // Parent chain as the engine saw it: "sh(4242) < containerd-shim(4100)", nearest first.
  std::string parents;
};

struct Anomaly {
  uint64_t time_ns = 0;
  std::string host;
  std::string container_id;
  std::string container_name;
  std::string image;     // repo:tag
  std::string image_id;  // sha256:...
  std::map<std::string, std::string> container_labels;  // compose, kubernetes, swarm (ContainerMeta)
  ProcessContext process;
  AnomalyKind kind = AnomalyKind::kSequence;
  Severity severity = Severity::kMedium;
  std::string indicator;  // kIndicator: the rule ("reverse-shell", ...); empty: from the profile
  std::string subject;                // the novel thing: path, peer, program, or "sequence"
  std::vector<std::string> sequence;  // kSequence: the most surprising calls, by name
  double score = 0;                   // mean surprise over the window (kSequence), else 1
  double threshold = 0;
  std::string explanation;  // one sentence, in words
  std::string profile_state;
  uint64_t count = 1;  // occurrences this alert stands for (noise control aggregates repeats)
  bool test = false;   // sent by `alert-test`
};

const char* kind_name(AnomalyKind kind);
const char* severity_name(Severity severity);

// An agent reports `count` syscalls it could not capture or ship: always high, since what
// happened meanwhile was not checked.
Anomaly capture_loss_anomaly(const std::string& host, const std::string& agent, uint64_t count,
                             uint64_t time_ns);

}  // namespace da
