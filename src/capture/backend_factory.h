#pragma once
// Which capture backend runs, decided in one place: the kind asked for, and for `auto` the
// fallback from eBPF (no stops; the default) to ptrace (works everywhere ptrace does), with the
// reason, so the console can say which one runs and why.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "capture/capture_backend.h"
#include "capture/command_tracer.h"
#include "core/kernel_judge.h"

namespace da {

enum class BackendKind { kAuto, kEbpf, kPtrace };

// "auto", "ebpf", "ptrace"; nullopt for anything else.
std::optional<BackendKind> parse_backend_kind(std::string_view name);
std::string_view backend_kind_name(BackendKind kind);

struct StartedBackend {
  std::unique_ptr<CaptureBackend> backend;
  BackendKind kind = BackendKind::kPtrace;  // what runs: kEbpf or kPtrace
  std::string reason;  // why, for the console: "as asked", "eBPF unavailable: ..."
  // The same backend as a host-command tracer, when it is one (ptrace); else nullptr.
  CommandTracer* command_tracer = nullptr;
  // Where the detector hands known sequences to be judged in the kernel (eBPF); else nullptr.
  KernelJudge* judge = nullptr;
};

// Starts the backend asked for; with kAuto eBPF where the kernel allows it, else ptrace. An
// Error names the backend that could not start and why.
Result<StartedBackend> start_capture_backend(BackendKind asked, EventChannel& channel,
                                             CaptureObserver& observer);

}  // namespace da
