#include "capture/backend_factory.h"

#include "capture/ptrace_backend.h"
#if DA_HAVE_EBPF
#include "capture/ebpf_backend.h"
#endif

namespace da {

std::optional<BackendKind> parse_backend_kind(std::string_view name) {
  if (name == "auto") return BackendKind::kAuto;
  if (name == "ebpf") return BackendKind::kEbpf;
  if (name == "ptrace") return BackendKind::kPtrace;
  return std::nullopt;
}

std::string_view backend_kind_name(BackendKind kind) {
  switch (kind) {
    case BackendKind::kAuto: return "auto";
    case BackendKind::kEbpf: return "ebpf";
    case BackendKind::kPtrace: return "ptrace";
  }
  return "?";
}

namespace {

// The eBPF backend started, or why not.
Result<std::unique_ptr<CaptureBackend>> start_ebpf(EventChannel& channel, CaptureObserver& observer,
                                                   KernelJudge*& judge) {
#if DA_HAVE_EBPF
  auto ebpf = std::make_unique<EbpfBackend>(channel, observer);
  if (auto s = ebpf->start(); !s) return s.error();
  judge = ebpf.get();
  return std::unique_ptr<CaptureBackend>(std::move(ebpf));
#else
  (void)judge;
  (void)channel, (void)observer;
  return Error{"this build has no eBPF backend (built with DA_EBPF=OFF)", ErrorCause::kUnsupported};
#endif
}

}  // namespace

Result<StartedBackend> start_capture_backend(BackendKind asked, EventChannel& channel,
                                             CaptureObserver& observer) {
  StartedBackend started;
  if (asked == BackendKind::kEbpf || asked == BackendKind::kAuto) {
    if (auto ebpf = start_ebpf(channel, observer, started.judge); ebpf) {
      started.backend = std::move(*ebpf);
      started.kind = BackendKind::kEbpf;
      started.reason = asked == BackendKind::kAuto ? "the kernel supports it" : "as asked";
      return started;
    } else if (asked == BackendKind::kEbpf) {
      return Error{"the ebpf backend cannot start: " + ebpf.error().message};
    } else {
      started.reason = std::string(ebpf.error().cause == ErrorCause::kPermission  ? "eBPF not permitted: "
                                   : ebpf.error().cause == ErrorCause::kUnsupported ? "eBPF not offered here: "
                                                                                    : "eBPF unavailable: ") +
                       ebpf.error().message;
    }
  } else {
    started.reason = "as asked";
  }
  auto ptrace = std::make_unique<PtraceBackend>(channel, observer);
  if (auto s = ptrace->start(); !s) {
    if (asked == BackendKind::kAuto) return Error{s.error().message + " (and " + started.reason + ")"};
    return s.error();
  }
  started.command_tracer = ptrace.get();
  started.backend = std::move(ptrace);
  started.kind = BackendKind::kPtrace;
  return started;
}

}  // namespace da
