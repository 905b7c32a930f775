#include "capture/ebpf_backend.h"

#include <bpf/libbpf.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <set>
#include <string_view>

#include "capture/ebpf/syscall_capture.h"
#include "capture/proc_scan.h"
#include "syscall_capture.skel.h"
#include "syscalls/arg_decoder.h"
#include "syscalls/syscall_table.h"

namespace da {
namespace {

int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

Result<uint32_t> pid_namespace_of(const std::string& proc_path) {
  struct stat st{};
  if (stat(proc_path.c_str(), &st) != 0)
    return Error{"cannot read " + proc_path + ": " + std::strerror(errno)};
  return static_cast<uint32_t>(st.st_ino);
}

// What decode_arguments() reads from a process, answered from the strings the kernel side
// copied into the record: the same decoding code serves both backends.
class RecordMemory final : public TraceeMemory {
 public:
  // Views into the record, not copies: decoding a path costs the one string it becomes.
  RecordMemory(const da_syscall_record& r, size_t size) {
    for (int k = 0; k < 2; ++k) {
      if (r.string_arg[k] == DA_NO_STRING || r.string_arg[k] >= 6) continue;
      const size_t len = std::min<size_t>(r.string_len[k], DA_MAX_STRING);
      const size_t at = k == 0 ? 0 : DA_MAX_STRING;
      if (offsetof(da_syscall_record, strings) + at + len > size) continue;
      const int arg = r.string_arg[k];
      // A returned socket address's length lives behind the next argument's pointer.
      slots_[used_++] = {r.args[arg], std::string_view(r.strings + at, len), arg + 1 < 6,
                         arg + 1 < 6 ? r.args[arg + 1] : 0, static_cast<int32_t>(len)};
    }
  }
  bool read(pid_t, uint64_t address, void* out, size_t len) override {
    for (size_t i = used_; i-- > 0;)  // the later slot first, as a map overwritten by it would
      if (slots_[i].has_length && slots_[i].length_address == address && len == sizeof(int32_t)) {
        std::memcpy(out, &slots_[i].length, sizeof(int32_t));
        return true;
      }
    const std::string_view* bytes = find(address);
    if (!bytes || bytes->size() < len) return false;
    std::memcpy(out, bytes->data(), len);
    return true;
  }
  std::optional<std::string> read_string(pid_t tid, uint64_t address, size_t max_len) override {
    std::string out;
    if (!read_string_into(tid, address, max_len, out)) return std::nullopt;
    return out;
  }
  bool read_string_into(pid_t, uint64_t address, size_t max_len, std::string& out) override {
    const std::string_view* bytes = find(address);
    if (!bytes) return false;
    std::string_view s = bytes->substr(0, bytes->find('\0'));  // up to the NUL
    if (s.size() > max_len) s = s.substr(0, max_len);
    out.assign(s);
    // The kernel side read DA_MAX_STRING bytes and found no end before its last one: cut.
    if (s.size() + 1 >= DA_MAX_STRING) out.append(kTruncatedMark);
    return true;
  }

 private:
  struct Slot {
    uint64_t address;
    std::string_view bytes;
    bool has_length;
    uint64_t length_address;
    int32_t length;
  };
  const std::string_view* find(uint64_t address) const {
    for (size_t i = used_; i-- > 0;)
      if (slots_[i].address == address) return &slots_[i].bytes;
    return nullptr;
  }
  std::array<Slot, 2> slots_{};
  size_t used_ = 0;
};

int on_record(void* context, void* data, size_t size) {
  return static_cast<EbpfBackend*>(context)->handle_record(data, size);
}

// An error from the system or libbpf, with its errno and what it means for the caller.
Error system_error(const std::string& what, int err) {
  return Error{what + ": " + std::strerror(err), cause_of_errno(err), err};
}

}  // namespace

EbpfBackend::EbpfBackend(EventChannel& channel, CaptureObserver& observer)
    : channel_(channel), observer_(observer) {}

EbpfBackend::~EbpfBackend() { stop(); }

Status EbpfBackend::start() {
  if (geteuid() != 0) return Error{"loading BPF programs needs root", ErrorCause::kPermission, EPERM};
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return Error{"the kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE programs cannot load",
                 ErrorCause::kUnsupported, errno};
  libbpf_set_print([](enum libbpf_print_level level, const char* format, va_list args) -> int {
    // Only libbpf's warnings reach the user; its debug chatter does not.
    return level == LIBBPF_WARN ? vfprintf(stderr, format, args) : 0;
  });
  // Containers' pid namespaces sit one level below the agent's own.
  auto self = read_proc_status(getpid());
  if (!self) return Error{"cannot read /proc/self/status"};
  skeleton_ = syscall_capture_bpf__open();
  if (!skeleton_) return system_error("cannot open the BPF program", errno);
  skeleton_->rodata->target_level = static_cast<unsigned>(self->ns_level) + 1;
  if (int err = syscall_capture_bpf__load(skeleton_); err) {
    destroy_skeleton();
    return system_error("the kernel refused the BPF program", -err);
  }
  // Which arguments are strings, from the same syscall table the ptrace backend decodes with.
  for (const auto& spec : all_syscalls()) {
    if (spec.nr < 0 || spec.nr >= kMaxSyscallNr) continue;  // every call gets its row (judging)
    da_arg_kinds kinds{};
    for (int i = 0; i < spec.nargs && i < 6; ++i) {
      switch (spec.args[i].kind) {
        case ArgKind::kPath: kinds.kind[i] = DA_ARG_PATH; break;
        case ArgKind::kSockaddrIn: kinds.kind[i] = DA_ARG_SOCKADDR_IN; break;
        case ArgKind::kSockaddrOut: kinds.kind[i] = DA_ARG_SOCKADDR_OUT; break;
        default: kinds.kind[i] = DA_ARG_VALUE; break;
      }
      if (kinds.kind[i] != DA_ARG_VALUE) kinds.any_string = 1;
    }
    uint32_t key = static_cast<uint32_t>(spec.nr);
    arg_kinds_[key] = kinds;
    // Without its row the kernel side would copy no string of that call: refuse to run half-blind.
    if (int err = bpf_map__update_elem(skeleton_->maps.arg_kinds, &key, sizeof key, &kinds, sizeof kinds, BPF_ANY)) {
      destroy_skeleton();
      return system_error("cannot fill the BPF argument table", -err);
    }
  }
  if (int err = syscall_capture_bpf__attach(skeleton_); err) {
    destroy_skeleton();
    return system_error("cannot attach the BPF programs to raw_syscalls", -err);
  }
  ring_ = ring_buffer__new(bpf_map__fd(skeleton_->maps.events), on_record, this, nullptr);
  if (!ring_) {
    const int err = errno;
    destroy_skeleton();
    return system_error("cannot open the BPF ring buffer", err);
  }
  auto host_ns = pid_namespace_of("/proc/self/ns/pid");
  if (!host_ns) {
    destroy_skeleton();
    return host_ns.error();
  }
  host_pid_ns_ = *host_ns;
  realtime_offset_ns_ = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
  running_ = true;
  poller_ = std::thread([this] { poll_loop(); });
  return ok_status();
}

void EbpfBackend::poll_loop() {
  auto next_cleanup = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  auto next_check = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (running_) {
    if (std::chrono::steady_clock::now() >= next_check) {
      next_check = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      check_unconfirmed();
      // The wall clock moves against the kernel's monotonic one (NTP steps and slews): taken
      // once at start, the offset dated a run's alerts 1.5 s, then 21 s, before the attacks
      // that raised them.
      realtime_offset_ns_ = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
    }
    if (std::chrono::steady_clock::now() >= next_cleanup) {
      // A process killed by a signal makes no exit_group: forget the ones that are gone.
      next_cleanup = std::chrono::steady_clock::now() + std::chrono::minutes(1);
      forget_dead_namespaces();
      std::erase_if(exe_of_, [](const auto& p) { return kill(static_cast<pid_t>(p.first), 0) != 0 && errno == ESRCH; });
      std::erase_if(pending_exec_, [](const auto& p) { return kill(static_cast<pid_t>(p.first), 0) != 0 && errno == ESRCH; });
    }
    // The kernel side wakes us only when a batch is waiting; without a wake-up, poll() returns
    // at the timeout without reading, so consume() then reads what is there: events of a quiet
    // container wait at most 20 ms.
    int n = ring_buffer__poll(ring_, 20);
    if (n < 0 && n != -EINTR) {
      observer_.warning(std::string("BPF ring buffer poll failed: ") + std::strerror(-n));
      break;
    }
    ring_buffer__consume(ring_);
    flush_burst();
  }
  ring_buffer__consume(ring_);  // what the kernel wrote before detaching
  flush_burst();
}

void EbpfBackend::flush_burst() {
  if (burst_.size()) channel_.push_all(burst_.take());
}

Status EbpfBackend::add_container(const ContainerTarget& target) {
  if (!skeleton_) return Error{"the eBPF backend is not started"};
  auto ns = pid_namespace_of("/proc/" + std::to_string(target.init_pid) + "/ns/pid");
  if (!ns) return ns.error();
  if (*ns == host_pid_ns_)
    return Error{"it shares the host's pid namespace (--pid=host); the ebpf backend selects "
                 "containers by pid namespace: monitor it with --backend ptrace"};
  uint32_t index;
  {
    std::lock_guard lock(mutex_);
    auto it = std::find(container_ids_.begin(), container_ids_.end(), target.id);
    if (it == container_ids_.end()) {
      container_ids_.push_back(target.id);
      index = static_cast<uint32_t>(container_ids_.size() - 1);
    } else {
      index = static_cast<uint32_t>(it - container_ids_.begin());
    }
    pid_ns_of_[target.id] = *ns;
    pending_ns_.erase(*ns);
    unconfirmed_.erase(*ns);
    ignored_ns_.erase(*ns);  // ignored too early (a slow daemon): captured from now on
    // Processes already running: their executables, before any of them exits.
    for (pid_t pid : pids_in_container(target.id)) running_exes_.emplace_back(static_cast<uint32_t>(pid), read_exe(pid));
    // Before the kernel side tags any record with the index (set_target, below).
    shared_changes_.fetch_add(1, std::memory_order_release);
  }
  uint32_t key = *ns;
  if (!set_target(key, index))
    return Error{std::string("cannot add the container to the BPF filter: ") + std::strerror(errno)};
  return ok_status();
}

void EbpfBackend::remove_container(const std::string& container_id) {
  if (!skeleton_) return;
  std::lock_guard lock(mutex_);
  auto it = pid_ns_of_.find(container_id);
  if (it == pid_ns_of_.end()) return;
  uint32_t key = it->second;
  drop_target(key);
  pid_ns_of_.erase(it);
}

int EbpfBackend::handle_record(const void* data, size_t size) {
  if (size < sizeof(uint32_t)) return 0;
  uint32_t type;
  std::memcpy(&type, data, sizeof type);
  if (type == DA_RECORD_EXEC_ARGS && size >= sizeof(da_exec_record)) {
    const auto* r = static_cast<const da_exec_record*>(data);
    PendingExec exec;
    exec.filename = std::string(r->filename, strnlen(r->filename, sizeof r->filename));
    for (uint32_t i = 0; i < r->argc && i < DA_MAX_ARGV; ++i)
      exec.argv.emplace_back(r->argv[i], strnlen(r->argv[i], DA_MAX_ARGV_STRING));
    if (r->truncated) exec.argv.emplace_back("...");
    std::memcpy(exec.raw, r->args, sizeof exec.raw);
    pending_exec_[r->tid] = std::move(exec);
    return 0;
  }
  if (type == DA_RECORD_EXE && size >= sizeof(da_exe_record)) {
    const auto* r = static_cast<const da_exe_record*>(data);
    std::string path;
    for (uint32_t i = std::min<uint32_t>(r->depth, DA_MAX_PATH_DEPTH); i-- > 0;)
      path += "/" + std::string(r->names[i], strnlen(r->names[i], DA_MAX_PATH_NAME));
    if (r->truncated) path = "..." + path;
    exe_of_[r->pid] = path.empty() ? "/" : path;
    return 0;
  }
  // Calls the kernel judged since the thread's last record come first, in the same record.
  JudgedCalls judged;
  if (type == DA_RECORD_JUDGED_SYSCALL && size >= sizeof(da_judged_prefix) + sizeof type) {
    const auto* p = static_cast<const da_judged_prefix*>(data);
    judged.count = p->judged;
    static_assert(JudgedCalls::kRecent == DA_JUDGE_RECENT);
    std::copy(std::begin(p->recent), std::end(p->recent), judged.recent.begin());
    data = static_cast<const char*>(data) + sizeof(da_judged_prefix);
    size -= sizeof(da_judged_prefix);
    std::memcpy(&type, data, sizeof type);
  }
  if (type != DA_RECORD_SYSCALL || size < offsetof(da_syscall_record, strings)) return 0;
  const auto* r = static_cast<const da_syscall_record*>(data);
  // A recycled event, filled in place: every field below is overwritten. Handed to the channel
  // with the rest of the burst (flush_burst).
  SyscallEvent& e = burst_.next();
  e.timestamp_ns = static_cast<uint64_t>(static_cast<int64_t>(r->time_ns) + realtime_offset_ns_);
  take_shared_changes();
  if (r->container == DA_PENDING_CONTAINER) {
    std::lock_guard lock(mutex_);
    e.container_id = resolve_pending(r->pid_ns, r->pid);
    if (e.container_id.empty()) {
      ++unattributed_;
      burst_.drop_last();
      return 0;
    }
  } else {
    if (r->container >= ids_taken_.size()) take_shared_changes(/*always=*/true);
    if (r->container < ids_taken_.size()) e.container_id = ids_taken_[r->container];
    else e.container_id.clear();
  }
  e.pid = static_cast<int32_t>(r->pid);
  e.tid = static_cast<int32_t>(r->tid);
  e.ns_pid = static_cast<int32_t>(r->ns_pid);
  e.ppid = static_cast<int32_t>(r->ppid);
  e.uid = static_cast<int32_t>(r->uid);
  e.comm.assign(r->comm, strnlen(r->comm, sizeof r->comm));
  e.syscall_nr = r->nr;
  e.ret = r->ret;
  e.thread_epoch = r->thread_epoch;
  if (judged.count) e.judged = judged;
  else e.judged.count = 0;
  const bool exec = r->nr == SYS_execve || r->nr == SYS_execveat;
  bool decoded = false;  // the argument list is the recycled event's until overwritten
  auto known = exe_of_.find(r->pid);
  if (known == exe_of_.end()) {
    // First sight of a process: a fork runs its parent's executable (an exec sends its own
    // before its execve record); one that ran before the agent started is still in /proc.
    observer_.process_started(e.container_id, e.pid);
    auto parent = exe_of_.find(r->ppid);
    known = exe_of_.emplace(r->pid, parent != exe_of_.end() ? parent->second : read_exe(e.pid)).first;
  }
  e.exe = known->second;
  if (exec) {
    auto pending = pending_exec_.find(r->tid);
    if (pending != pending_exec_.end()) {
      // As the ptrace backend records it: file name, argv, envp (never read).
      const PendingExec& p = pending->second;
      if (r->nr == SYS_execve)
        e.args = {p.filename, p.argv, p.raw[2]};
      else
        e.args = {int64_t{static_cast<int32_t>(p.raw[0])}, p.filename, p.argv, p.raw[3], int64_t{static_cast<int32_t>(p.raw[4])}};
      pending_exec_.erase(pending);
      decoded = true;
    }
  }
  if (!decoded) {
    std::array<uint64_t, 6> raw;
    std::memcpy(raw.data(), r->args, sizeof r->args);
    RecordMemory memory(*r, size);
    decode_arguments_into(e.args, find_syscall(r->nr), raw, r->ret, e.tid, memory);
  }
  if (r->nr == SYS_exit_group) {
    const std::string container_id = e.container_id;
    flush_burst();  // the process's last event first
    observer_.process_finished(container_id, static_cast<pid_t>(r->pid));
    exe_of_.erase(r->pid);
  } else if (burst_.size() >= channel_.batch_size()) {
    flush_burst();  // one batch per hand-over, even from a ring buffer that never runs dry
  }
  return 0;
}

void EbpfBackend::take_shared_changes(bool always) {
  if (!always && shared_changes_.load(std::memory_order_acquire) == taken_changes_) return;
  std::lock_guard lock(mutex_);
  ids_taken_ = container_ids_;
  // A record of the process may have named a newer executable already.
  for (auto& [pid, exe] : running_exes_) exe_of_.emplace(pid, std::move(exe));
  running_exes_.clear();
  taken_changes_ = shared_changes_.load(std::memory_order_relaxed);
}

// Every change of `targets` bumps targets_generation (after the change: the kernel side reads
// the generation before it looks a thread's container up), so threads look theirs up again.
void EbpfBackend::targets_changed() {
  __atomic_add_fetch(&skeleton_->bss->targets_generation, 1, __ATOMIC_SEQ_CST);
}

bool EbpfBackend::set_target(uint32_t pid_ns, uint32_t container) {
  const bool ok =
      !bpf_map__update_elem(skeleton_->maps.targets, &pid_ns, sizeof pid_ns, &container, sizeof container, BPF_ANY);
  if (ok) targets_changed();
  return ok;
}

void EbpfBackend::drop_target(uint32_t pid_ns) {
  bpf_map__delete_elem(skeleton_->maps.targets, &pid_ns, sizeof pid_ns, 0);
  targets_changed();
}

std::string EbpfBackend::resolve_pending(uint32_t pid_ns, uint32_t pid) {
  auto it = pending_ns_.find(pid_ns);
  if (it != pending_ns_.end()) return it->second;
  // Docker's start event may already have named it.
  for (const auto& [id, ns] : pid_ns_of_)
    if (ns == pid_ns) return pending_ns_[pid_ns] = id;
  auto id = container_id_of(static_cast<pid_t>(pid));
  if (id) {
    // A Docker cgroup, but maybe another daemon's: ours must report it soon (check_unconfirmed).
    unconfirmed_.emplace(pid_ns, std::chrono::steady_clock::now());
    return pending_ns_[pid_ns] = *id;
  }
  // Not a Docker container (another runtime), or this process is already gone: after a few
  // tries with other processes of the namespace, stop capturing it.
  if (++pending_failures_[pid_ns] >= 64)
    ignore_namespace(pid_ns, "its processes are in no Docker container's cgroup (another runtime?)");
  return "";
}

void EbpfBackend::ignore_namespace(uint32_t pid_ns, const std::string& why) {
  uint32_t key = pid_ns, value = DA_IGNORED_CONTAINER;
  if (skeleton_ && !set_target(key, value))
    drop_target(key);  // map full: at least stop
  else
    ignored_ns_.insert(pid_ns);
  pending_ns_[pid_ns] = "";
  pending_failures_.erase(pid_ns);
  observer_.warning("not capturing pid namespace " + std::to_string(pid_ns) + ": " + why);
}

void EbpfBackend::check_unconfirmed() {
  // Docker's start event follows the first exec by well under a second; 30 s is for a
  // daemon under load.
  constexpr auto kConfirmWithin = std::chrono::seconds(30);
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  for (auto it = unconfirmed_.begin(); it != unconfirmed_.end();) {
    if (now - it->second < kConfirmWithin) {
      ++it;
      continue;
    }
    const auto named = pending_ns_.find(it->first);
    const std::string id = named != pending_ns_.end() ? named->second.substr(0, 12) : "?";
    ignore_namespace(it->first, "its cgroup names container " + id + ", which the Docker daemon "
                     "watched did not report in 30 s (another daemon or runtime)");
    it = unconfirmed_.erase(it);
  }
}

void EbpfBackend::forget_dead_namespaces() {
  {
    std::lock_guard lock(mutex_);
    if (ignored_ns_.empty() && pending_ns_.empty()) return;
  }
  std::set<uint32_t> live;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    if (auto ns = pid_namespace_of(entry.path().string() + "/ns/pid")) live.insert(*ns);
  }
  if (ec) return;  // no /proc listing: forget nothing rather than everything
  std::lock_guard lock(mutex_);
  for (auto it = ignored_ns_.begin(); it != ignored_ns_.end();) {
    if (live.contains(*it)) {
      ++it;
      continue;
    }
    uint32_t key = *it;  // the map has room for DA_MAX_CONTAINERS namespaces
    if (skeleton_) drop_target(key);
    it = ignored_ns_.erase(it);
  }
  for (auto it = pending_ns_.begin(); it != pending_ns_.end();) {
    if (live.contains(it->first)) {
      ++it;
      continue;
    }
    // Started by the kernel side, never confirmed, now gone: free its slot in the map too
    // (a confirmed one left pending_ns_ in add_container and leaves the map in remove_container).
    uint32_t key = it->first;
    if (skeleton_) drop_target(key);
    it = pending_ns_.erase(it);
  }
  std::erase_if(pending_failures_, [&](const auto& p) { return !live.contains(p.first); });
  std::erase_if(unconfirmed_, [&](const auto& p) { return !live.contains(p.first); });
}

namespace {

// A one-slot per-CPU counter map, each CPU's count (empty if it cannot be read).
std::vector<uint64_t> per_cpu_counts(const bpf_map* map) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return {};
  std::vector<uint64_t> per_cpu(static_cast<size_t>(cpus));
  uint32_t zero = 0;
  if (bpf_map__lookup_elem(map, &zero, sizeof zero, per_cpu.data(), per_cpu.size() * sizeof(uint64_t), 0))
    return {};
  return per_cpu;
}

}  // namespace

std::vector<uint64_t> EbpfBackend::lost_per_cpu() {
  return skeleton_ ? per_cpu_counts(skeleton_->maps.lost) : final_lost_per_cpu_;
}

void EbpfBackend::stop() {
  if (!skeleton_) return;
  // Detach first so nothing new arrives, then drain what the kernel already wrote.
  syscall_capture_bpf__detach(skeleton_);
  running_ = false;
  if (poller_.joinable()) poller_.join();
  final_lost_per_cpu_ = lost_per_cpu();
  final_judged_ = judged_in_kernel();
  if (unattributed_)
    observer_.warning(std::to_string(unattributed_) + " syscalls of new pid namespaces that could "
                      "not be tied to a Docker container were discarded");
  destroy_skeleton();
}

void EbpfBackend::destroy_skeleton() {
  ring_buffer__free(ring_);  // accepts nullptr
  ring_ = nullptr;
  std::lock_guard lock(judge_mutex_);
  syscall_capture_bpf__destroy(skeleton_);
  skeleton_ = nullptr;
}

uint64_t EbpfBackend::judged_in_kernel() {
  if (!skeleton_) return final_judged_;
  uint64_t sum = 0;
  for (uint64_t n : per_cpu_counts(skeleton_->maps.judged_calls)) sum += n;
  return sum;
}

CaptureStats EbpfBackend::stats() {
  CaptureStats s;
  s.lost_per_cpu = lost_per_cpu();
  for (uint64_t n : s.lost_per_cpu) s.lost_events += n;
  s.judged_in_kernel = judged_in_kernel();
  return s;
}

// ---- In-kernel judging ----

void EbpfBackend::set_sequence_only(const std::vector<CallUse>& by_number) {
  static_assert(static_cast<int>(CallUse::kSent) == DA_CALL_SENT &&
                static_cast<int>(CallUse::kSequenceOnly) == DA_CALL_SEQUENCE_ONLY &&
                static_cast<int>(CallUse::kSequenceOnlyUnconnected) == DA_CALL_SEQUENCE_ONLY_UNCONNECTED);
  std::lock_guard lock(judge_mutex_);
  if (!skeleton_) return;
  for (auto& [nr, kinds] : arg_kinds_) {
    // A judged call's strings are never read: a path the detector does not look at (stat,
    // access) costs nothing when the call is judged.
    kinds.sequence_only = nr < by_number.size() ? static_cast<unsigned char>(by_number[nr]) : DA_CALL_SENT;
    uint32_t key = nr;
    bpf_map__update_elem(skeleton_->maps.arg_kinds, &key, sizeof key, &kinds, sizeof kinds, BPF_ANY);
  }
}

bool EbpfBackend::program_id_free(std::string& error) {
  if (!skeleton_) {
    error = "capture has stopped";
    return false;
  }
  if (generation_.empty()) {
    generation_.assign(DA_JUDGE_MAX_PROGRAMS, 0);
    for (uint32_t id = DA_JUDGE_MAX_PROGRAMS - 1; id >= 1; --id) free_ids_.push_back(id);
  }
  if (free_ids_.empty()) {
    error = "the kernel side's table of " + std::to_string(DA_JUDGE_MAX_PROGRAMS - 1) + " programs is full";
    return false;
  }
  return true;
}

uint32_t EbpfBackend::add_learning_program(std::string& error) {
  std::lock_guard lock(judge_mutex_);
  if (!program_id_free(error)) return 0;
  const uint32_t id = free_ids_.back();
  free_ids_.pop_back();
  da_judge_program program{++generation_[id], 0, 1};
  bpf_map__update_elem(skeleton_->maps.judge_programs, &id, sizeof id, &program, sizeof program, BPF_ANY);
  return id;
}

uint32_t EbpfBackend::add_program(const std::vector<KnownSequence>& known, double quiet_sum,
                                  std::string& error) {
  std::lock_guard lock(judge_mutex_);
  if (!program_id_free(error)) return 0;
  const uint32_t id = free_ids_.back();
  const uint32_t generation = ++generation_[id];
  std::vector<da_judge_key>& keys = known_keys_[id];
  for (const KnownSequence& k : known) {
    da_judge_key key{id, generation, 0};
    bool judged = true;
    for (int16_t call : k.calls) {
      // The model's packing: 9 bits a call; numbers past the codes are never judged.
      const uint64_t code = call < 0 ? DA_JUDGE_START_CODE : static_cast<uint64_t>(call);
      if (call >= DA_JUDGE_OTHER_CODE) judged = false;
      key.sequence = (key.sequence << DA_JUDGE_CODE_BITS) | code;
    }
    if (!judged) continue;
    // Rounded up: the kernel's window sum never falls below the detector's.
    const double fixed = std::ceil(static_cast<double>(k.surprise) * DA_JUDGE_UNIT) + 1;
    const uint16_t bound = static_cast<uint16_t>(std::clamp(fixed, 1.0, double{DA_JUDGE_UNKNOWN - 1}));
    if (int err = bpf_map__update_elem(skeleton_->maps.judge_known, &key, sizeof key, &bound, sizeof bound, BPF_ANY)) {
      error = std::string("cannot add a known sequence to the kernel side: ") + std::strerror(-err);
      for (const da_judge_key& added : keys) bpf_map__delete_elem(skeleton_->maps.judge_known, &added, sizeof added, 0);
      known_keys_.erase(id);
      return 0;
    }
    keys.push_back(key);
  }
  free_ids_.pop_back();
  // Rounded down, less a unit per call for the detector's float sums: below it, the detector's
  // window is surely below.
  const double fixed = std::floor(quiet_sum * DA_JUDGE_UNIT) - DA_JUDGE_WINDOW;
  da_judge_program program{generation, static_cast<uint32_t>(std::clamp(fixed, 0.0, 4e9)), 0};
  bpf_map__update_elem(skeleton_->maps.judge_programs, &id, sizeof id, &program, sizeof program, BPF_ANY);
  return id;
}

void EbpfBackend::add_known_open(uint32_t program, int nr, uint32_t flags, bool failed, const std::string& path) {
  // What the kernel side can match (known_open): an absolute path it reads whole.
  if (path.size() < 2 || path.size() + 1 >= DA_MAX_STRING || path.front() != '/') return;
  uint64_t hash = da_path_hash_start(nr, flags, failed);
  for (unsigned char c : path) hash = da_path_hash_step(hash, c);
  std::lock_guard lock(judge_mutex_);
  if (!skeleton_ || program == 0 || program >= generation_.size()) return;
  const da_judge_key key{program, generation_[program], hash};
  if (known_opens_.size() >= DA_JUDGE_MAX_PATHS) known_opens_.clear();
  if (!known_opens_.insert(key).second) return;
  const uint8_t one = 1;
  bpf_map__update_elem(skeleton_->maps.judge_paths, &key, sizeof key, &one, sizeof one, BPF_ANY);
}

void EbpfBackend::remove_program(uint32_t id) {
  std::lock_guard lock(judge_mutex_);
  if (!skeleton_ || id == 0 || id >= generation_.size()) return;
  // A new generation first: the threads judged as it lapse at their next call.
  da_judge_program program{++generation_[id], 0, 0};
  bpf_map__update_elem(skeleton_->maps.judge_programs, &id, sizeof id, &program, sizeof program, BPF_ANY);
  for (const da_judge_key& key : known_keys_[id])
    bpf_map__delete_elem(skeleton_->maps.judge_known, &key, sizeof key, 0);
  known_keys_.erase(id);
  free_ids_.push_back(id);
}

void EbpfBackend::follow_thread(int32_t tid, uint32_t epoch, uint32_t program, const std::string& comm) {
  std::lock_guard lock(judge_mutex_);
  if (!skeleton_ || program == 0 || program >= generation_.size()) return;
  da_judge_follow follow{program, generation_[program], epoch, {}};
  std::memcpy(follow.comm, comm.data(), std::min(comm.size(), sizeof follow.comm));
  uint32_t key = static_cast<uint32_t>(tid);
  // A full table (65,536 threads waiting to be taken) leaves the thread unjudged: it is sent.
  bpf_map__update_elem(skeleton_->maps.judge_follow, &key, sizeof key, &follow, sizeof follow, BPF_ANY);
}

void EbpfBackend::forget_thread(int32_t tid) {
  std::lock_guard lock(judge_mutex_);
  if (!skeleton_) return;
  uint32_t key = static_cast<uint32_t>(tid);
  bpf_map__delete_elem(skeleton_->maps.judge_follow, &key, sizeof key, 0);  // absent once taken
}

}  // namespace da
