#pragma once
// The eBPF capture backend (libbpf CO-RE): raw_syscalls tracepoints filtered in the kernel by
// the monitored containers' pid namespaces, records through a ring buffer. The traced processes
// never stop; lost records are counted per CPU and reported.
//
// Kernel side: src/capture/ebpf/syscall_capture.bpf.c; shared record layout:
// src/capture/ebpf/syscall_capture.h; this file loads it (bpftool skeleton) and turns records
// into SyscallEvents with the same decoding as the ptrace backend.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "capture/capture_backend.h"
#include "capture/ebpf/syscall_capture.h"
#include "core/kernel_judge.h"

struct syscall_capture_bpf;  // the bpftool skeleton
struct ring_buffer;

namespace da {

class EbpfBackend final : public CaptureBackend, public KernelJudge {
 public:
  EbpfBackend(EventChannel& channel, CaptureObserver& observer);
  ~EbpfBackend() override;

  std::string name() const override { return "ebpf"; }
  // Loads and attaches the BPF program; the error says why it cannot (no BTF, no privilege...).
  Status start() override;
  Status add_container(const ContainerTarget& target) override;
  void rescan_container(const std::string&) override {}  // the kernel filter sees exec'd processes
  void remove_container(const std::string& container_id) override;
  void stop() override;
  CaptureStats stats() override;

  // Called by libbpf for each ring buffer record (poll thread).
  int handle_record(const void* data, size_t size);

  // KernelJudge (the detector's consumer thread).
  void set_sequence_only(const std::vector<CallUse>& by_number) override;
  uint32_t add_program(const std::vector<KnownSequence>& known, double quiet_sum,
                       std::string& error) override;
  uint32_t add_learning_program(std::string& error) override;
  void add_known_open(uint32_t program, int nr, uint32_t flags, bool failed, const std::string& path) override;
  void remove_program(uint32_t id) override;
  void follow_thread(int32_t tid, uint32_t epoch, uint32_t program, const std::string& comm) override;
  void forget_thread(int32_t tid) override;

 private:
  struct PendingExec {
    std::string filename;
    std::vector<std::string> argv;
    uint64_t raw[6] = {};  // the raw arguments at entry
  };
  void poll_loop();
  // Frees the ring buffer and the BPF objects (detached, unloaded); safe when absent.
  void destroy_skeleton();
  void flush_burst();
  // The kernel side's pid namespace -> container map; false if the map refused the entry.
  bool set_target(uint32_t pid_ns, uint32_t container);
  void drop_target(uint32_t pid_ns);
  void targets_changed();
  // The container of a record the kernel side tagged DA_PENDING_CONTAINER; "" if none.
  std::string resolve_pending(uint32_t pid_ns, uint32_t pid);
  // A namespace that is no container of our Docker daemon: the kernel side stops capturing it
  // and does not start it again at its next exec. mutex_ held.
  void ignore_namespace(uint32_t pid_ns, const std::string& why);
  // Poll thread: namespaces Docker has not confirmed in time are ignored (about once a second);
  // entries of namespaces whose processes are all gone are dropped (once a minute).
  void check_unconfirmed();
  void forget_dead_namespaces();
  // Whether the judge table has an id left (a first call sets the table up). judge_mutex_ held.
  bool program_id_free(std::string& error);
  std::vector<uint64_t> lost_per_cpu();
  uint64_t judged_in_kernel();
  // Poll thread: container_ids_ and running_exes_ taken again if they changed (or `always`).
  void take_shared_changes(bool always = false);

  EventChannel& channel_;
  EventBurst burst_{channel_.pool(), channel_.batch_size()};  // events read since the last hand-over to the channel
  CaptureObserver& observer_;
  syscall_capture_bpf* skeleton_ = nullptr;
  ring_buffer* ring_ = nullptr;
  std::thread poller_;
  std::atomic<bool> running_{false};
  int64_t realtime_offset_ns_ = 0;  // CLOCK_REALTIME - CLOCK_MONOTONIC, taken again every second
  uint32_t host_pid_ns_ = 0;

  std::mutex mutex_;  // the poll thread reads these, the app adds containers
  std::vector<std::string> container_ids_;  // by index, as given to the kernel
  // Executables of the processes already running when their container was added, for the poll
  // thread to take into exe_of_.
  std::vector<std::pair<uint32_t, std::string>> running_exes_;
  // Bumped (under mutex_) at every change of container_ids_ or running_exes_: the poll thread
  // takes them again only then (take_shared_changes), instead of locking for every record.
  std::atomic<uint64_t> shared_changes_{0};
  std::map<std::string, uint32_t> pid_ns_of_;  // container id -> pid namespace inode
  // Namespaces the kernel side started on its own (a container's first exec, before Docker's
  // start event): the container id found in their cgroup, or "" when not a Docker container.
  std::unordered_map<uint32_t, std::string> pending_ns_;
  std::unordered_map<uint32_t, int> pending_failures_;
  // Pending namespaces named only by their cgroup, and since when: Docker's start event
  // (add_container) confirms them. Another dockerd's containers have Docker cgroups too.
  std::unordered_map<uint32_t, std::chrono::steady_clock::time_point> unconfirmed_;
  std::map<uint32_t, da_arg_kinds> arg_kinds_;  // as given to the kernel, by call number
  std::set<uint32_t> ignored_ns_;  // marked DA_IGNORED_CONTAINER in the kernel's map
  uint64_t unattributed_ = 0;  // events of such namespaces that belong to no Docker container

  // Poll thread only.
  std::unordered_map<uint32_t, std::string> exe_of_;  // by pid
  std::vector<std::string> ids_taken_;  // container_ids_ as of taken_changes_
  uint64_t taken_changes_ = 0;
  std::unordered_map<uint32_t, PendingExec> pending_exec_;  // by tid (execve entry to exit)
  std::vector<uint64_t> final_lost_per_cpu_;
  uint64_t final_judged_ = 0;

  // In-kernel judging: the skeleton's judge maps, under judge_mutex_ (the consumer thread
  // writes them while the app may stop the backend).
  std::mutex judge_mutex_;
  std::vector<uint32_t> generation_;  // by program id
  std::vector<uint32_t> free_ids_;
  std::unordered_map<uint32_t, std::vector<da_judge_key>> known_keys_;  // by program id
  // The judge_paths keys written, each once (a map update is a system call, dearer than the
  // event that asked for it). Started over when it holds as many as the map: the map, shared
  // by all programs, may have pushed some out, and those are written again as they come.
  struct JudgeKeyHash {
    size_t operator()(const da_judge_key& k) const {
      return k.sequence ^ ((uint64_t{k.program} << 32 | k.generation) * 0x9e3779b97f4a7c15ULL);
    }
  };
  struct JudgeKeyEqual {
    bool operator()(const da_judge_key& a, const da_judge_key& b) const {
      return a.program == b.program && a.generation == b.generation && a.sequence == b.sequence;
    }
  };
  std::unordered_set<da_judge_key, JudgeKeyHash, JudgeKeyEqual> known_opens_;
};

}  // namespace da
