#include "capture/ptrace_backend.h"

#include <signal.h>
#include <sys/ptrace.h>  // glibc >= 2.32: PTRACE_GET_SYSCALL_INFO
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "capture/proc_scan.h"
#include "core/clock.h"
#include "syscalls/arg_decoder.h"

namespace da {
namespace {

constexpr long kSeizeOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
                               PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC;

// Interrupts the tracer's blocking waitpid() so it picks up a command.
int wake_signal() { return SIGRTMIN + 3; }
void on_wake_signal(int) {}

bool is_group_stop_signal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

}  // namespace

// What the tracer knows of one thread-group (process).
struct ProcessInfo {
  pid_t tgid = 0;
  pid_t ns_pid = 0;
  pid_t ppid = 0;
  int uid = -1;
  int container = -1;
  std::string comm;
  std::string exe;
};

// Watch: only fork/clone/exec events stop it (the container's shim and runc on their way into
// the container through docker exec). Trace: every syscall stops it.
enum class TraceMode { kWatch, kTrace };

struct Tracee {
  pid_t tid = 0;
  TraceMode mode = TraceMode::kTrace;
  std::shared_ptr<ProcessInfo> process;
  bool in_syscall = false;
  int32_t nr = -1;
  std::array<uint64_t, 6> args{};
  std::vector<ArgValue> entry_args;  // decoded at entry for execve (its memory is gone at exit)
};

struct ContainerState {
  std::string id;
  bool active = true;
};

// The state machine of the tracer thread: next event from waitpid, classified, dispatched.
// Only ever touched by that thread.
class PtraceTracer {
 public:
  PtraceTracer(EventChannel& channel, CaptureObserver& observer)
      : channel_(channel), observer_(observer) {}

  bool has_tracees() const { return !tracees_.empty(); }
  bool detaching() const { return detaching_; }
  const CaptureStats& stats() const { return stats_; }
  pid_t spawned_pid() const { return spawned_pid_; }
  std::optional<int> spawned_exit() const { return spawned_exit_; }

  // An error when not one of the container's threads could be attached (each failure was
  // also reported as a warning); the container stays on the list for later processes.
  Status attach_container(const ContainerTarget& target) {
    int index = container_index(target.id);
    if (index < 0) {
      containers_.push_back({target.id, true});
      index = static_cast<int>(containers_.size()) - 1;
    }
    containers_[index].active = true;
    const uint64_t attached_before = stats_.tracees_attached;
    last_seize_errno_ = 0;
    attach_container_processes(index);
    watch_shim_of(target.init_pid);
    if (stats_.tracees_attached == attached_before && last_seize_errno_ != 0)
      return Error{"cannot trace any process of container " + target.id.substr(0, 12) + ": " +
                       strerror(last_seize_errno_),
                   cause_of_errno(last_seize_errno_), last_seize_errno_};
    return ok_status();
  }

  void rescan(const std::string& id) {
    int index = container_index(id);
    if (index >= 0 && containers_[index].active) attach_container_processes(index);
  }

  void forget(const std::string& id) {
    int index = container_index(id);
    if (index >= 0) containers_[index].active = false;
  }

  Result<pid_t> spawn(const std::vector<std::string>& argv) {
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    pid_t pid = fork();
    if (pid < 0) return Error{std::string("fork failed: ") + strerror(errno)};
    if (pid == 0) {
      // The agent blocks SIGINT/SIGTERM in its threads; the command must not inherit that.
      sigset_t empty;
      sigemptyset(&empty);
      sigprocmask(SIG_SETMASK, &empty, nullptr);
      // Stop until the tracer has seized us, so not one syscall of the command is missed.
      raise(SIGSTOP);
      execvp(cargv[0], cargv.data());
      _exit(127);
    }
    int status = 0;
    pid_t waited;
    do {
      waited = waitpid(pid, &status, WSTOPPED);  // our wake-up signal may interrupt it
    } while (waited < 0 && errno == EINTR);
    if (waited != pid || !WIFSTOPPED(status) || ptrace(PTRACE_SEIZE, pid, 0, kSeizeOptions) != 0) {
      const std::string why = waited != pid || !WIFSTOPPED(status)
                                  ? std::string("the command did not start")
                                  : std::string("ptrace(PTRACE_SEIZE) failed: ") + strerror(errno);
      // Still our own fork, before exec: never leave it stopped behind us.
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return Error{why};
    }
    add_tracee(pid, TraceMode::kTrace, -1, pid);
    spawned_pid_ = pid;
    kill(pid, SIGCONT);
    return pid;
  }

  void begin_detach_all() {
    detaching_ = true;
    for (auto it = tracees_.begin(); it != tracees_.end();) {
      // Running tracees must stop before PTRACE_DETACH; a gone one is simply forgotten.
      if (ptrace(PTRACE_INTERRUPT, it->first, 0, 0) != 0 && errno == ESRCH) {
        it = tracees_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // next_event + dispatch_event, as strace names them.
  void handle(pid_t tid, int status) {
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      on_exit(tid, status);
      return;
    }
    if (!WIFSTOPPED(status)) return;
    Tracee* t = find_or_adopt(tid);
    const int sig = WSTOPSIG(status);
    const unsigned event = static_cast<unsigned>(status) >> 16;
    if (detaching_) {
      // Deliver a pending signal on the way out, never swallow it.
      const bool signal_delivery = event == 0 && sig != (SIGTRAP | 0x80);
      ptrace(PTRACE_DETACH, tid, 0, signal_delivery ? sig : 0);
      tracees_.erase(tid);
      return;
    }
    if (sig == (SIGTRAP | 0x80)) {
      on_syscall_stop(*t);
      resume(*t, 0);
      return;
    }
    switch (event) {
      case PTRACE_EVENT_FORK:
      case PTRACE_EVENT_VFORK:
      case PTRACE_EVENT_CLONE:
        on_new_child(*t);
        resume(*t, 0);
        return;
      case PTRACE_EVENT_EXEC:
        t = on_exec(*t);
        resume(*t, 0);
        return;
      case PTRACE_EVENT_STOP:
        if (is_group_stop_signal(sig)) {
          // A real job-control stop: stay stopped, but keep watching for SIGCONT.
          ptrace(PTRACE_LISTEN, tid, 0, 0);
        } else {
          resume(*t, 0);  // first stop of a new tracee, or our PTRACE_INTERRUPT
        }
        return;
      case 0:
        resume(*t, sig);  // signal-delivery-stop: deliver it
        return;
      default:
        resume(*t, 0);
    }
  }

  // The tracees vanished without our noticing (ECHILD): nothing is left to trace.
  void forget_all_tracees() { tracees_.clear(); }

 private:
  int container_index(const std::string& id) const {
    for (size_t i = 0; i < containers_.size(); ++i)
      if (containers_[i].id == id) return static_cast<int>(i);
    return -1;
  }

  void attach_container_processes(int index) {
    // Repeat until a pass finds nothing new: a process may fork between our scan and our seize.
    for (int pass = 0; pass < 10; ++pass) {
      bool found_new = false;
      for (pid_t pid : pids_in_container(containers_[index].id)) {
        for (pid_t tid : threads_of(pid)) {
          if (tracees_.count(tid)) continue;
          if (seize(tid, TraceMode::kTrace, index, pid)) found_new = true;
        }
      }
      if (!found_new) return;
    }
  }

  // docker exec starts its process from the container's shim through runc, not below the
  // container's init: watching the shim's fork/exec events catches it from its first syscall.
  void watch_shim_of(pid_t init_pid) {
    auto init = read_proc_status(init_pid);
    if (!init || init->ppid <= 1) return;
    const pid_t shim = init->ppid;
    // Only ever a containerd shim: never dockerd, never a host service.
    if (read_comm(shim).rfind("containerd-shim", 0) != 0) {
      observer_.warning("parent of container init " + std::to_string(init_pid) +
                        " is not a containerd shim; docker exec processes are found by rescan");
      return;
    }
    for (pid_t tid : threads_of(shim))
      if (!tracees_.count(tid)) seize(tid, TraceMode::kWatch, -1, shim);
  }

  bool seize(pid_t tid, TraceMode mode, int container, pid_t tgid) {
    if (ptrace(PTRACE_SEIZE, tid, 0, kSeizeOptions) != 0) {
      if (errno != ESRCH) {
        last_seize_errno_ = errno;
        ++stats_.attach_failures;
        observer_.warning("cannot attach to " + std::to_string(tid) + ": " + strerror(errno) +
                          (errno == EPERM ? " (already traced by another tool?)" : ""));
      }
      return false;
    }
    // A watched task needs no stop; a traced one must stop once so PTRACE_SYSCALL can start.
    if (mode == TraceMode::kTrace) ptrace(PTRACE_INTERRUPT, tid, 0, 0);
    add_tracee(tid, mode, container, tgid);
    return true;
  }

  Tracee& add_tracee(pid_t tid, TraceMode mode, int container, pid_t tgid) {
    ++stats_.tracees_attached;
    Tracee& t = tracees_[tid];
    t.tid = tid;
    t.mode = mode;
    t.process = process_for(tgid, container, mode);
    return t;
  }

  std::shared_ptr<ProcessInfo> process_for(pid_t tgid, int container, TraceMode mode) {
    if (auto it = tracees_.find(tgid); it != tracees_.end() && it->second.process &&
                                       it->second.process->tgid == tgid)
      return it->second.process;
    auto p = std::make_shared<ProcessInfo>();
    p->tgid = tgid;
    p->container = container;
    refresh_process(*p);
    if (mode == TraceMode::kTrace) observer_.process_started(container_id(container), tgid);
    return p;
  }

  void refresh_process(ProcessInfo& p) {
    p.comm = read_comm(p.tgid);
    p.exe = read_exe(p.tgid);
    if (auto st = read_proc_status(p.tgid)) {
      p.ns_pid = st->ns_pid;
      p.ppid = st->ppid;
      p.uid = st->uid;
    }
  }

  const std::string& container_id(int index) const {
    static const std::string kHost;
    return index >= 0 ? containers_[index].id : kHost;
  }

  // A task seen for the first time: a child auto-attached by fork/clone, whose own first stop
  // may arrive before its parent's event. /proc says which process it belongs to.
  Tracee* find_or_adopt(pid_t tid) {
    if (auto it = tracees_.find(tid); it != tracees_.end()) return &it->second;
    auto status = read_proc_status(tid);
    const pid_t tgid = status ? status->tgid : tid;
    const Tracee* relative = nullptr;
    if (auto it = tracees_.find(tgid); it != tracees_.end()) relative = &it->second;
    else if (auto p = status ? tracees_.find(status->ppid) : tracees_.end(); p != tracees_.end())
      relative = &p->second;
    else if (auto c = children_.find(tid); c != children_.end()) {
      if (auto pt = tracees_.find(c->second); pt != tracees_.end()) relative = &pt->second;
    }
    TraceMode mode = relative ? relative->mode : TraceMode::kWatch;
    int container = relative && relative->process ? relative->process->container : -1;
    if (!relative) {
      // No traced relative (CLONE_PARENT): trace it only if it is inside a monitored container.
      for (size_t i = 0; i < containers_.size(); ++i)
        if (containers_[i].active && process_in_container(tid, containers_[i].id)) {
          mode = TraceMode::kTrace;
          container = static_cast<int>(i);
        }
    }
    children_.erase(tid);
    return &add_tracee(tid, mode, container, tgid);
  }

  void on_new_child(const Tracee& parent) {
    unsigned long child = 0;
    if (ptrace(PTRACE_GETEVENTMSG, parent.tid, 0, &child) == 0 && !tracees_.count(child))
      children_[static_cast<pid_t>(child)] = parent.tid;
  }

  Tracee* on_exec(Tracee& t) {
    // A non-leader thread that execs takes over the leader's tid.
    unsigned long former = 0;
    Tracee* current = &t;
    if (ptrace(PTRACE_GETEVENTMSG, t.tid, 0, &former) == 0 && static_cast<pid_t>(former) != t.tid) {
      auto it = tracees_.find(static_cast<pid_t>(former));
      if (it != tracees_.end()) {
        Tracee moved = std::move(it->second);
        tracees_.erase(it);
        moved.tid = t.tid;
        tracees_[t.tid] = std::move(moved);
        current = &tracees_[t.tid];
      }
    }
    if (current->mode == TraceMode::kWatch) {
      enter_container_on_exec(*current);
    } else if (current->process) {
      refresh_process(*current->process);
    }
    return current;
  }

  void enter_container_on_exec(Tracee& t) {
    for (size_t i = 0; i < containers_.size(); ++i) {
      if (!containers_[i].active || !process_in_container(t.tid, containers_[i].id)) continue;
      // runc has just exec'd the docker exec command inside the container: trace from here.
      t.mode = TraceMode::kTrace;
      t.process.reset();  // the runc process it was is not the container process it becomes
      t.process = process_for(t.tid, static_cast<int>(i), TraceMode::kTrace);
      // We are inside execve; its entry happened in watch mode, so record it from /proc.
      t.in_syscall = true;
      t.nr = syscall_number("execve").value_or(59);
      t.args = {};
      // The file name runc gave execve ("/bin/cat"), not the binary it resolves to.
      std::string filename = t.process->exe;
      if (uint64_t at = read_execfn_address(t.tid))
        if (auto s = memory_.read_string(t.tid, at, 4096)) filename = std::move(*s);
      t.entry_args = {filename, read_cmdline(t.tid), uint64_t{0}};
      return;
    }
  }

  void on_syscall_stop(Tracee& t) {
    if (t.mode != TraceMode::kTrace) return;
    __ptrace_syscall_info info{};
    if (ptrace(PTRACE_GET_SYSCALL_INFO, t.tid, sizeof info, &info) <= 0)
      return;  // the tracee died under us: normal
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
      t.in_syscall = true;
      t.nr = static_cast<int32_t>(info.entry.nr);
      for (int i = 0; i < 6; ++i) t.args[i] = info.entry.args[i];
      if (decode_at_entry(t.nr)) {
        t.entry_args = decode_arguments(find_syscall(t.nr), t.args, 0, t.tid, memory_);
      } else if (is_exit_syscall(t.nr)) {
        // exit and exit_group never return: they are recorded when they are called.
        emit(t, 0);
        t.in_syscall = false;
      }
    } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
      if (!t.in_syscall) return;  // attached in the middle of this call: its entry is unknown
      t.in_syscall = false;
      emit(t, info.exit.rval);
    }
  }

  static bool is_exit_syscall(int32_t nr) { return nr == SYS_exit || nr == SYS_exit_group; }

  void emit(Tracee& t, int64_t ret) {
    SyscallEvent e;
    e.timestamp_ns = unix_nanoseconds();
    const ProcessInfo& p = *t.process;
    e.container_id = container_id(p.container);
    e.pid = p.tgid;
    e.tid = t.tid;
    e.ns_pid = p.ns_pid;
    e.ppid = p.ppid;
    e.uid = p.uid;
    e.comm = p.comm;
    e.exe = p.exe;
    e.syscall_nr = t.nr;
    e.ret = ret;
    if (decode_at_entry(t.nr) && !t.entry_args.empty())
      e.args = std::move(t.entry_args);
    else
      e.args = decode_arguments(find_syscall(t.nr), t.args, ret, t.tid, memory_);
    t.entry_args.clear();
    channel_.push(std::move(e));
  }

  void resume(Tracee& t, int sig) {
    const auto request = t.mode == TraceMode::kTrace ? PTRACE_SYSCALL : PTRACE_CONT;
    ptrace(request, t.tid, 0, sig);  // ESRCH: it died meanwhile, its exit status follows
  }

  void on_exit(pid_t tid, int status) {
    if (tid == spawned_pid_) spawned_exit_ = WIFEXITED(status) ? WEXITSTATUS(status)
                                                               : 128 + WTERMSIG(status);
    auto it = tracees_.find(tid);
    if (it == tracees_.end()) return;
    const Tracee& t = it->second;
    if (t.mode == TraceMode::kTrace && t.process && t.process->tgid == tid)
      observer_.process_finished(container_id(t.process->container), tid);
    tracees_.erase(it);
  }

  EventChannel& channel_;
  CaptureObserver& observer_;
  ProcessVmMemory memory_;
  std::unordered_map<pid_t, Tracee> tracees_;
  std::unordered_map<pid_t, pid_t> children_;  // new child tid -> parent tid, from fork events
  std::vector<ContainerState> containers_;
  CaptureStats stats_;
  int last_seize_errno_ = 0;  // of the last failed PTRACE_SEIZE during one attach_container
  bool detaching_ = false;
  pid_t spawned_pid_ = 0;
  std::optional<int> spawned_exit_;
};

PtraceBackend::PtraceBackend(EventChannel& channel, CaptureObserver& observer)
    : observer_(observer), tracer_(std::make_unique<PtraceTracer>(channel, observer)) {}

PtraceBackend::~PtraceBackend() { stop(); }

Status PtraceBackend::start() {
  struct sigaction sa{};
  sa.sa_handler = on_wake_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the signal must break waitpid() out with EINTR
  sigaction(wake_signal(), &sa, nullptr);
  running_ = true;
  std::promise<void> started;
  auto started_future = started.get_future();
  thread_ = std::thread([this, &started] {
    thread_handle_ = pthread_self();
    started.set_value();
    tracer_main();
  });
  started_future.wait();
  return ok_status();
}

bool PtraceBackend::run_on_tracer(std::function<void(PtraceTracer&)> command) {
  if (!running_ || tracer_exited_) return false;
  std::packaged_task<void(PtraceTracer&)> task(std::move(command));
  auto done = task.get_future();
  {
    std::lock_guard lock(commands_mutex_);
    commands_.push_back(std::move(task));
  }
  // The wake-up may land just before the tracer enters waitpid(); repeat until it is served.
  while (done.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
    if (tracer_exited_) return false;
    commands_ready_.notify_all();
    pthread_kill(thread_handle_.load(), wake_signal());
    done.wait_for(std::chrono::milliseconds(20));
  }
  done.get();
  return true;
}

void PtraceBackend::tracer_main() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point detach_deadline{};
  while (true) {
    std::deque<std::packaged_task<void(PtraceTracer&)>> pending;
    {
      std::lock_guard lock(commands_mutex_);
      pending.swap(commands_);
    }
    for (auto& task : pending) task(*tracer_);

    if (!running_ && !tracer_->detaching()) {
      tracer_->begin_detach_all();
      detach_deadline = Clock::now() + std::chrono::seconds(3);
    }
    if (tracer_->detaching() && (!tracer_->has_tracees() || Clock::now() > detach_deadline)) {
      if (tracer_->has_tracees())
        observer_.warning("some tracees did not stop in time (frozen?); the kernel detaches "
                          "them when the agent exits");
      break;
    }
    if (!tracer_->has_tracees()) {
      if (spawned_ && tracer_->spawned_exit()) {
        spawned_exit_.set_value(*tracer_->spawned_exit());
        spawned_ = false;
      }
      std::unique_lock lock(commands_mutex_);
      commands_ready_.wait_for(lock, std::chrono::milliseconds(100),
                               [&] { return !commands_.empty() || !running_; });
      if (!running_ && commands_.empty()) break;
      continue;
    }
    int status = 0;
    const int flags = __WALL | (tracer_->detaching() ? WNOHANG : 0);
    pid_t tid = waitpid(-1, &status, flags);
    if (tid < 0) {
      if (errno == ECHILD) tracer_->forget_all_tracees();
      continue;  // EINTR: a command or stop request is waiting
    }
    if (tid == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    tracer_->handle(tid, status);
  }
  if (spawned_) spawned_exit_.set_value(tracer_->spawned_exit().value_or(-1));
  spawned_ = false;
  final_stats_ = tracer_->stats();
  tracer_exited_ = true;
}

Status PtraceBackend::add_container(const ContainerTarget& target) {
  Status result = Error{"the tracer is not running"};
  run_on_tracer([&](PtraceTracer& t) { result = t.attach_container(target); });
  return result;
}

void PtraceBackend::rescan_container(const std::string& id) {
  run_on_tracer([&](PtraceTracer& t) { t.rescan(id); });
}

void PtraceBackend::remove_container(const std::string& id) {
  run_on_tracer([&](PtraceTracer& t) { t.forget(id); });
}

Result<pid_t> PtraceBackend::spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) return Error{"no command given"};
  Result<pid_t> result = Error{"the tracer is not running"};
  run_on_tracer([&](PtraceTracer& t) {
    result = t.spawn(argv);
    if (result) spawned_ = true;
  });
  return result;
}

int PtraceBackend::wait_spawned() {
  auto f = spawned_exit_.get_future();
  return f.get();
}

void PtraceBackend::stop() {
  if (!thread_.joinable()) return;
  running_ = false;
  // The tracer may sit in waitpid(): interrupt it until it has detached everything and ended.
  while (!tracer_exited_) {
    commands_ready_.notify_all();
    pthread_kill(thread_handle_.load(), wake_signal());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  thread_.join();
}

CaptureStats PtraceBackend::stats() {
  CaptureStats s = final_stats_;
  run_on_tracer([&](PtraceTracer& t) { s = t.stats(); });
  return s;
}

}  // namespace da
