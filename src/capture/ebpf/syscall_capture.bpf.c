// Kernel side of the eBPF capture backend: every syscall of the monitored containers, filtered
// in the kernel by pid namespace, delivered through a ring buffer.
//
// Arguments are read at syscall exit from the saved user registers (pt_regs still hold them),
// so the common path is one program run per syscall. Only execve/execveat (whose memory is gone
// once they succeed) and exit/exit_group (which never return) are handled at entry.
//
// Which container: the task's pid namespace at the level just below the agent's (containers
// started by dockerd sit one level below the host). Taking that level rather than the task's
// innermost namespace keeps a process that unshares a new pid namespace inside a container
// (or runs a nested sandbox) visible. tp_btf programs dereference kernel pointers directly
// (BTF-typed loads, no helper calls), which keeps the per-syscall cost small.
//
// Calls of a stable program's threads are judged here when the detector could do nothing with
// them, and those of a learning program's threads held back for the detector to learn in bulk
// (see "In-kernel judging" in syscall_capture.h): they cost a few map lookups instead of a
// record, its trip through the ring buffer and the whole user-space pipeline.
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "syscall_capture.h"

char LICENSE[] SEC("license") = "GPL";

#define NR_EXECVE 59
#define NR_EXECVEAT 322
#define NR_EXIT 60
#define NR_EXIT_GROUP 231
#define NR_CONNECT 42
#define NR_OPEN 2
#define NR_OPENAT 257
#define AF_INET 2
#define AF_INET6 10
#define MAX_NR 1024

// Set by the loader before load: the pid namespace level of the containers (agent's level + 1).
const volatile unsigned int target_level = 1;


// Pid namespace inode number -> container index. Filled by user space per monitored container.
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, DA_MAX_CONTAINERS);
  __type(key, __u32);
  __type(value, __u32);
} targets SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, MAX_NR);
  __type(key, __u32);
  __type(value, struct da_arg_kinds);
} arg_kinds SEC(".maps");

// 8 MB: at the highest rate one container makes here (2 M syscalls/s of 1-byte reads) about
// 30 ms of records, where the reader looks every 20 ms or at 256 KB; the agent's RSS counts it
// twice (its pages are mapped twice back to back), 16 MB of the 64 MB it may use.
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

// Records the ring buffer had no room for, per CPU: reported, never silent.
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} lost SEC(".maps");

// Scratch space to build a record with strings (too large for the 512-byte stack), with room
// for the judged-calls prefix right before it.
struct judged_syscall {
  struct da_judged_prefix prefix;
  struct da_syscall_record record;
};
_Static_assert(sizeof(struct da_judged_prefix) % 8 == 0, "the record after the prefix stays aligned");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct judged_syscall);
} scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct da_exec_record);
} exec_scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct da_exe_record);
} exe_scratch SEC(".maps");

#define HEADER_SIZE (sizeof(struct da_syscall_record) - 2 * DA_MAX_STRING)

// Waking the reader for every record costs the traced process an inter-processor wake-up per
// syscall; the reader is woken only once a batch is waiting (and polls on a short timer).
#define WAKEUP_BYTES (256 * 1024)
static __always_inline __u64 wakeup_flag(void) {
  return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
                                                                       : BPF_RB_NO_WAKEUP;
}

static __always_inline void count_lost(void) {
  __u32 zero = 0;
  __u64* n = bpf_map_lookup_elem(&lost, &zero);
  if (n) *n += 1;
}

// Bumped whenever `targets` changes (by user space, or here when runc starts a container), so
// the container a thread's sequence state keeps is looked up again.
volatile __u32 targets_generation;

static __always_inline void targets_changed(void) { __sync_fetch_and_add(&targets_generation, 1); }

// The container index of the current task, or NULL when it is not monitored. *inum is set
// whenever the task is at the containers' level, in a namespace not known to be ignored.
static __always_inline __u32* current_target(struct task_struct* task, __u32* ns_pid, __u32* inum) {
  struct pid* pid = task->thread_pid;
  unsigned int level = pid->level;
  *inum = 0;
  if (level < target_level || target_level > 31) return 0;
  __u32 ns = pid->numbers[target_level].ns->ns.inum;
  __u32* index = bpf_map_lookup_elem(&targets, &ns);
  if (index && *index == DA_IGNORED_CONTAINER) return 0;  // *inum 0: not started as pending
  *inum = ns;
  if (!index) return 0;
  if (level == target_level) {
    *ns_pid = pid->numbers[target_level].nr;
  } else {
    struct upid inner = {};
    bpf_probe_read_kernel(&inner, sizeof inner, &pid->numbers[level & 31]);
    *ns_pid = inner.nr;
  }
  return index;
}

// Tasks that entered a container's pid namespace from outside and have not exec'd since: runc
// setting up a container or a docker exec (or nsenter), not the container's workload (the
// ptrace backend starts at the exec too). The mark is set by the kernel side when such a task
// is forked (sched_process_fork), inherited by its children and threads, and removed by its
// exec: nothing a container process controls (its name, its executable's name) sets it, so a
// process cannot hide by calling itself runc.
struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, __u8);
} setup_tasks SEC(".maps");

static __always_inline int is_setup(struct task_struct* task) {
  return bpf_task_storage_get(&setup_tasks, task, 0, 0) != 0;
}

// Whether a call is runc's own, on the per-syscall path: runc names its setup tasks "runc:…",
// so the name is compared first (the record holds it anyway) and only a task so named pays for
// the storage lookup. The name alone never hides a call: the kernel-side mark decides.
static __always_inline int is_runc_setup(struct task_struct* task, const char comm[16]) {
  return comm[0] == 'r' && comm[1] == 'u' && comm[2] == 'n' && comm[3] == 'c' && comm[4] == ':' &&
         is_setup(task);
}

// The pid namespace of `task` at the containers' level, or 0 when the task sits above it.
static __always_inline struct pid_namespace* container_ns(struct task_struct* task) {
  struct pid* pid = task->thread_pid;
  if (!pid || pid->level < target_level || target_level > 31) return 0;
  return pid->numbers[target_level].ns;
}

// Processes (host tgid) that connected an internet socket, or whose parent had before forking
// them: their close calls are sent (DA_CALL_SEQUENCE_ONLY_UNCONNECTED). Keyed by tgid, not task
// storage, because a thread's exec makes it the leader and the leader's storage goes. A key
// outliving its process (killed, pid reused) only sends more; a full map (or a failed
// allocation) sends every close.
#define CONNECTED_MAX 65536
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);  // entries as processes connect, not 65,536 up front
  __uint(max_entries, CONNECTED_MAX);
  __type(key, __u32);
  __type(value, __u8);
} connected SEC(".maps");
static volatile int connected_full;  // an insert failed: no close is judged from then on

static __always_inline void mark_connected(__u32 tgid) {
  __u8 one = 1;
  if (bpf_map_update_elem(&connected, &tgid, &one, BPF_ANY)) connected_full = 1;
}

static __always_inline int has_connected(__u32 tgid) {
  return connected_full || bpf_map_lookup_elem(&connected, &tgid) != 0;
}

// At connect's exit, whatever its result (a non-blocking one is under way): an internet
// address family marks the process, as the detector's process table would follow it.
static __always_inline void note_connect(const unsigned long long args[6]) {
  __u16 family = 0;
  if (bpf_probe_read_user(&family, sizeof family, (const void*)args[1]) == 0 &&
      family != AF_INET && family != AF_INET6)
    return;
  // Unreadable: marked, as it might have been one.
  mark_connected((__u32)(bpf_get_current_pid_tgid() >> 32));
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct* parent, struct task_struct* child) {
  struct pid_namespace* ns = container_ns(child);
  if (!ns) return 0;
  // A new process starts with its parent's descriptors (a new thread shares its process's).
  if (child->pid == child->tgid && has_connected(parent->tgid)) mark_connected(child->tgid);
  // Forked into a container's namespace by a task outside it (runc's clone with CLONE_NEWPID,
  // or a fork after setns), or by a task still setting up: setup until it execs.
  if (container_ns(parent) == ns && !is_setup(parent)) return 0;
  __u8 one = 1;
  bpf_task_storage_get(&setup_tasks, child, &one, BPF_LOCAL_STORAGE_GET_F_CREATE);
  return 0;
}


// ---- In-kernel judging (syscall_capture.h) ----

// The sequence state of every thread of the monitored containers, judged or not, so that a
// thread the detector registers later is judged with its real history.
struct thread_seq {
  __u32 epoch;       // odd, never 0; changes when the state starts over (first call, exec)
  __u32 program;     // judged as this program (0: not judged)
  __u32 generation;  // of that program when the thread was registered
  __u32 calls;       // calls since the epoch began (a run of one call counts once)
  __u32 judged;      // calls judged here since the thread's last record
  __u32 sum;         // of bound[]
  __u32 polls;       // calls since the last look for a registration
  // The thread's container as `targets` said at targets_generation `target_gen` (its pid
  // namespace cannot change; its pid can, at an exec by a non-leader thread).
  __u32 target_gen;
  __u32 container;   // NOT_MONITORED: none
  __u32 ns_pid;
  __u32 inum;
  __u32 pad;
  __u64 context;     // the last DA_JUDGE_CONTEXT calls' codes, newest in the low bits
  __u64 last_sent;   // jiffies at the thread's last record
  char comm[16];     // the name the registration was for
  __u16 recent[32];  // calls, by calls & 31
  __u16 bound[DA_JUDGE_WINDOW];  // surprise bounds of the last calls, by calls % window
};

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct thread_seq);
} thread_seqs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, DA_JUDGE_MAX_PROGRAMS);
  __type(key, __u32);
  __type(value, struct da_judge_program);
} judge_programs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1 << 20);
  __type(key, struct da_judge_key);
  __type(value, __u16);
} judge_known SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, __u32);
  __type(value, struct da_judge_follow);
} judge_follow SEC(".maps");

// Opens of files the detector knows, per registered program (syscall_capture.h). LRU: a path
// pushed out is sent again, and the detector registers it again.
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, DA_JUDGE_MAX_PATHS);
  __type(key, struct da_judge_key);
  __type(value, __u8);
} judge_paths SEC(".maps");

// Calls judged here, per CPU: they count as captured.
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} judged_calls SEC(".maps");

#define CONTEXT_MASK ((1ull << (DA_JUDGE_CONTEXT * DA_JUDGE_CODE_BITS)) - 1)  // all start codes

static __always_inline struct thread_seq* thread_seq_of(struct task_struct* task) {
  struct thread_seq* st = bpf_task_storage_get(&thread_seqs, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (st && !st->epoch) {
    st->epoch = bpf_get_prandom_u32() | 1;
    st->context = CONTEXT_MASK;
    // The detector's process table copies a new process's sockets from its parent at its first
    // call, not at the fork: the parent may have connected in between.
    if (has_connected(task->real_parent->tgid)) mark_connected(task->tgid);
  }
  return st;
}

#define NOT_MONITORED 0xfffffffdu

// Whether the current thread is monitored, with its container, pid in the container and pid
// namespace; *st is its sequence state (created at its first monitored call; NULL if that
// failed). The `targets` lookup (and the walk to the namespace) happens at a thread's first
// call and after `targets` changed; every other call reads what its state kept.
static __always_inline int monitored_thread(struct task_struct* task, int refresh, __u32* container,
                                            __u32* ns_pid, __u32* inum, struct thread_seq** st) {
  struct pid* pid = task->thread_pid;
  if (pid->level < target_level) return 0;  // the host's own tasks leave here
  const __u32 generation = targets_generation;  // read before the lookup: a change after it
                                                // leaves the kept answer stale, so looked up again
  struct thread_seq* s = bpf_task_storage_get(&thread_seqs, task, 0, 0);
  if (s && s->target_gen == generation && !refresh) {
    if (s->container == NOT_MONITORED) return 0;
    *container = s->container;
    *ns_pid = s->ns_pid;
    *inum = s->inum;
    *st = s;
    return 1;
  }
  __u32* index = current_target(task, ns_pid, inum);
  if (!index) {
    if (s) {
      s->target_gen = generation;
      s->container = NOT_MONITORED;
    }
    return 0;
  }
  *container = *index;
  if (!s) s = thread_seq_of(task);
  if (s) {
    s->target_gen = generation;
    s->container = *index;
    s->ns_pid = *ns_pid;
    s->inum = *inum;
  }
  *st = s;
  return 1;
}

// A successful exec: a new program, its sequence starts over (as the detector's does).
static __always_inline void restart_seq(struct thread_seq* st) {
  st->epoch += 2;
  st->program = 0;
  st->calls = 0;
  st->judged = 0;
  st->sum = 0;
  st->context = CONTEXT_MASK;
#pragma unroll
  for (int i = 0; i < DA_JUDGE_WINDOW; i++) st->bound[i] = 0;
}

static __always_inline int same_comm(const char a[16], const char b[16]) {
  __u64 a0, a1, b0, b1;
  __builtin_memcpy(&a0, a, 8);
  __builtin_memcpy(&a1, a + 8, 8);
  __builtin_memcpy(&b0, b, 8);
  __builtin_memcpy(&b1, b + 8, 8);
  return a0 == b0 && a1 == b1;
}

// A registration the detector left for this thread: taken if it names the thread's present
// epoch and name, dropped either way.
static __always_inline void take_registration(struct thread_seq* st, __u32 tid, const char comm[16]) {
  struct da_judge_follow* f = bpf_map_lookup_elem(&judge_follow, &tid);
  if (!f) return;
  if (f->epoch == st->epoch && same_comm(f->comm, comm)) {
    st->program = f->program;
    st->generation = f->generation;
    __builtin_memcpy(st->comm, f->comm, 16);
  }
  bpf_map_delete_elem(&judge_follow, &tid);
}

// What a thread's next record hands over: calls judged here since its last one, and how many
// calls it had made before the record's own (its last calls are read from the ring then).
struct handover {
  __u32 judged;
  __u32 calls;
};

static __always_inline void fill_prefix(struct da_judged_prefix* p, const struct thread_seq* st,
                                        struct handover h) {
  p->type = DA_RECORD_JUDGED_SYSCALL;
  p->judged = h.judged;
  // The ring holds 32 calls: the record's own call (at h.calls) left the 21 before it intact.
#pragma unroll
  for (int i = 0; i < DA_JUDGE_RECENT; i++)
    p->recent[i] = h.calls >= (__u32)(DA_JUDGE_RECENT - i) ? (short)st->recent[(h.calls - DA_JUDGE_RECENT + i) & 31]
                                                           : -1;
  p->pad[0] = p->pad[1] = p->pad[2] = 0;
}

// Whether an open by a registered thread is of a file the detector registered for its program
// (judge_paths): then only its place in the sequence matters. The path is read into the
// scratch record, which emit() fills again if the call is sent.
static __always_inline int known_open(const struct thread_seq* st, int nr, const unsigned long long args[6],
                                      long long ret) {
  __u32 zero = 0;
  struct judged_syscall* s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s) return 0;
  char* path = s->record.strings;
  const long len = bpf_probe_read_user_str(path, DA_MAX_STRING, (const void*)(nr == NR_OPENAT ? args[1] : args[0]));
  // Only absolute paths read whole: a relative one names another file after a chdir.
  if (len <= 1 || len >= DA_MAX_STRING || path[0] != '/') return 0;
  __u64 h = da_path_hash_start(nr, (__u32)(nr == NR_OPENAT ? args[2] : args[1]), ret < 0);
  for (int i = 0; i < DA_MAX_STRING; i++) {
    const unsigned char c = path[i];
    if (!c) break;
    h = da_path_hash_step(h, c);
  }
  struct da_judge_key key = {st->program, st->generation, h};
  return bpf_map_lookup_elem(&judge_paths, &key) != 0;
}

// Follows the call in the thread's sequence state and says whether it was judged here (no
// record). `known`: an open of a known file (known_open), which counts as sequence-only. For a
// call to be sent, *h says what its record hands over (calls judged since the thread's last
// record).
static __always_inline int judge(struct thread_seq* st, struct da_arg_kinds* kinds, int nr,
                                 const char comm[16], struct handover* h, int known) {
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  // A registration waits at most 16 calls; looked for while judged too (a detector that
  // forgot an idle thread registers it again).
  if ((st->polls++ & 15) == 0) take_registration(st, tid, comm);
  struct da_judge_program* prog = 0;
  if (st->program) {
    __u32 id = st->program;
    prog = bpf_map_lookup_elem(&judge_programs, &id);
    if (!prog || prog->generation != st->generation || (!prog->quiet_sum && !prog->learning) ||
        !same_comm(st->comm, comm)) {
      st->program = 0;  // relearned, or renamed: the detector sees everything again
      prog = 0;
    }
  }
  const __u16 last = st->calls ? st->recent[(st->calls - 1) & 31] : 0xffff;
  const int repeat = last == (__u16)nr;
  const __u64 code = nr < DA_JUDGE_OTHER_CODE ? (__u64)nr : DA_JUDGE_OTHER_CODE;
  const __u64 sequence = (st->context << DA_JUDGE_CODE_BITS) | code;
  const int learning = prog && prog->learning;
  __u32 bound = DA_JUDGE_UNKNOWN;
  if (prog && !learning && !repeat && code != DA_JUDGE_OTHER_CODE) {
    struct da_judge_key key = {st->program, st->generation, sequence};
    __u16* known = bpf_map_lookup_elem(&judge_known, &key);
    if (known) bound = *known;
  }
  const __u32 slot = st->calls & (DA_JUDGE_WINDOW - 1);
  const __u32 sum = st->sum - st->bound[slot] + bound;
  // Jiffies: a global variable read, where a clock read would cost as much as the rest.
  const __u64 now = bpf_jiffies64();
  // A known open repeating the call before it is sent: the detector counts each open of a
  // file (its novelty rate), and a held run would reach it as one call.
  const int judged = prog && kinds && (kinds->sequence_only != DA_CALL_SENT || (known && !repeat)) &&
                     now - st->last_sent < DA_JUDGE_HEARTBEAT_JIFFIES &&
                     // Learning: held back while the next record's prefix can still carry
                     // every held call.
                     (repeat || (learning ? st->judged < DA_JUDGE_RECENT
                                          : bound != DA_JUDGE_UNKNOWN && sum < prog->quiet_sum)) &&
                     (kinds->sequence_only != DA_CALL_SEQUENCE_ONLY_UNCONNECTED ||
                      !has_connected((__u32)(bpf_get_current_pid_tgid() >> 32)));
  if (judged) {
    __u32 zero = 0;
    __u64* n = bpf_map_lookup_elem(&judged_calls, &zero);
    if (n) *n += 1;
  } else {
    h->judged = st->judged;
    h->calls = st->calls;
    st->judged = 0;
    st->last_sent = now;
  }
  if (!repeat) {
    if (judged) st->judged++;
    st->recent[st->calls & 31] = (__u16)nr;
    st->bound[slot] = (__u16)bound;
    st->sum = sum;
    st->context = sequence & CONTEXT_MASK;
    st->calls++;
  }
  return judged;
}

static __always_inline void fill_header(struct da_syscall_record* r, struct task_struct* task,
                                        __u32 container, __u32 ns_pid, __u32 inum, int nr,
                                        long long ret, const unsigned long long args[6], __u32 epoch) {
  // Direct (BTF) loads from the task rather than helper calls: this runs for every syscall.
  r->type = DA_RECORD_SYSCALL;
  r->container = container;
  r->time_ns = bpf_ktime_get_ns();
  __u64 id = bpf_get_current_pid_tgid();
  r->pid = id >> 32;
  r->tid = (__u32)id;
  r->ns_pid = ns_pid;
  r->pid_ns = inum;
  r->ppid = task->real_parent->tgid;
  r->uid = (__u32)bpf_get_current_uid_gid();
  r->nr = nr;
  r->thread_epoch = epoch;
  r->ret = ret;
#pragma unroll
  for (int i = 0; i < 6; i++) r->args[i] = args[i];
  r->string_arg[0] = r->string_arg[1] = DA_NO_STRING;
  r->string_len[0] = r->string_len[1] = 0;
}

static __always_inline int emit(struct task_struct* task, __u32 container, __u32 ns_pid, __u32 inum,
                                int nr, long long ret, const unsigned long long args[6],
                                struct da_arg_kinds* kinds, __u32 epoch, const char comm[16],
                                const struct thread_seq* st, struct handover h) {
  const int prefixed = st && h.judged;
  if (!kinds || !kinds->any_string) {
    // The common case: no strings, the record is written in place (two sizes, each constant).
    void* base = prefixed ? bpf_ringbuf_reserve(&events, sizeof(struct da_judged_prefix) + HEADER_SIZE, 0)
                          : bpf_ringbuf_reserve(&events, HEADER_SIZE, 0);
    if (!base) {
      count_lost();
      return 0;
    }
    struct da_syscall_record* r = base;
    if (prefixed) {
      fill_prefix(base, st, h);
      r = base + sizeof(struct da_judged_prefix);
    }
    __builtin_memcpy(r->comm, comm, sizeof r->comm);
    if (is_runc_setup(task, r->comm)) {
      bpf_ringbuf_discard(base, BPF_RB_NO_WAKEUP);
      return 0;
    }
    fill_header(r, task, container, ns_pid, inum, nr, ret, args, epoch);
    bpf_ringbuf_submit(base, wakeup_flag());
    return 0;
  }

  __u32 zero = 0;
  struct judged_syscall* s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s) return 0;
  struct da_syscall_record* r = &s->record;
  __builtin_memcpy(r->comm, comm, sizeof r->comm);
  if (is_runc_setup(task, r->comm)) return 0;
  fill_header(r, task, container, ns_pid, inum, nr, ret, args, epoch);
  int found = 0;
#pragma unroll
  for (int i = 0; i < 6; i++) {
    unsigned char kind = kinds->kind[i];
    if (kind == DA_ARG_VALUE || found >= 2 || !args[i]) continue;
    char* out = r->strings + (found ? DA_MAX_STRING : 0);
    long len = 0;
    if (kind == DA_ARG_PATH) {
      len = bpf_probe_read_user_str(out, DA_MAX_STRING, (const void*)args[i]);
    } else {
      // Socket addresses: given to the kernel (length in the next argument) or returned by it
      // (only on success; the length is behind the pointer in the next argument).
      long size = 0;
      if (kind == DA_ARG_SOCKADDR_IN && i < 5) {
        size = (long)args[i + 1];
      } else if (kind == DA_ARG_SOCKADDR_OUT && i < 5 && ret >= 0 && args[i + 1]) {
        int l = 0;
        if (bpf_probe_read_user(&l, sizeof l, (const void*)args[i + 1]) == 0) size = l;
      }
      if (size <= 0) continue;
      __u32 n = size > DA_MAX_STRING ? DA_MAX_STRING : (__u32)size;
      len = bpf_probe_read_user(out, n, (const void*)args[i]) == 0 ? (long)n : -1;
    }
    if (len <= 0) continue;
    r->string_arg[found] = i;
    r->string_len[found] = len;
    found++;
  }
  // Send only what is used: the header and the strings read (after the prefix, if any).
  __u64 size = HEADER_SIZE;
  if (found == 1) size += r->string_len[0] > DA_MAX_STRING ? DA_MAX_STRING : r->string_len[0];
  else if (found == 2) size += 2 * DA_MAX_STRING;
  if (size > sizeof(*r)) size = sizeof(*r);
  long err;
  if (prefixed) {
    fill_prefix(&s->prefix, st, h);
    err = bpf_ringbuf_output(&events, s, sizeof(struct da_judged_prefix) + size, wakeup_flag());
  } else {
    err = bpf_ringbuf_output(&events, r, size, wakeup_flag());
  }
  if (err) count_lost();
  return 0;
}

static __always_inline void emit_exec_args(const unsigned long long args[6],
                                           unsigned long long filename, unsigned long long argv) {
  __u32 zero = 0;
  struct da_exec_record* r = bpf_map_lookup_elem(&exec_scratch, &zero);
  if (!r) return;
  r->type = DA_RECORD_EXEC_ARGS;
  r->tid = (__u32)bpf_get_current_pid_tgid();
  r->argc = 0;
  r->truncated = 0;
#pragma unroll
  for (int i = 0; i < 6; i++) r->args[i] = args[i];
  r->filename[0] = 0;
  bpf_probe_read_user_str(r->filename, sizeof r->filename, (const void*)filename);
#pragma unroll
  for (int i = 0; i < DA_MAX_ARGV; i++) {
    const char* arg = 0;
    if (!argv || bpf_probe_read_user(&arg, sizeof arg, (const void*)(argv + i * sizeof(void*))) || !arg) break;
    r->argv[i][0] = 0;
    bpf_probe_read_user_str(r->argv[i], DA_MAX_ARGV_STRING, arg);
    r->argc = i + 1;
  }
  if (r->argc == DA_MAX_ARGV) {
    const char* more = 0;
    bpf_probe_read_user(&more, sizeof more, (const void*)(argv + DA_MAX_ARGV * sizeof(void*)));
    r->truncated = more != 0;
  }
  if (bpf_ringbuf_output(&events, r, sizeof *r, wakeup_flag())) count_lost();
}

// The executable of the current task as path components, walking dentries up to the task's
// root and crossing mount points on the way (as d_path does). Only runs after a successful exec.
static __always_inline void emit_exe(struct task_struct* task) {
  __u32 zero = 0;
  struct da_exe_record* r = bpf_map_lookup_elem(&exe_scratch, &zero);
  if (!r) return;
  r->type = DA_RECORD_EXE;
  r->pid = BPF_CORE_READ(task, tgid);
  r->depth = 0;
  r->truncated = 0;
  struct file* exe = BPF_CORE_READ(task, mm, exe_file);
  if (!exe) return;
  struct dentry* dentry = BPF_CORE_READ(exe, f_path.dentry);
  struct vfsmount* vfsmnt = BPF_CORE_READ(exe, f_path.mnt);
  struct mount* mnt = container_of(vfsmnt, struct mount, mnt);
  struct dentry* root_dentry = BPF_CORE_READ(task, fs, root.dentry);
  struct vfsmount* root_mnt = BPF_CORE_READ(task, fs, root.mnt);
  unsigned int depth = 0;
#pragma unroll
  for (int i = 0; i < DA_MAX_PATH_DEPTH + 8; i++) {
    if (dentry == root_dentry && vfsmnt == root_mnt) break;
    struct dentry* mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
    if (dentry == mnt_root) {
      struct mount* parent = BPF_CORE_READ(mnt, mnt_parent);
      if (parent == mnt) break;  // the namespace's root mount
      dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
      mnt = parent;
      vfsmnt = &parent->mnt;
      continue;
    }
    if (depth >= DA_MAX_PATH_DEPTH) {
      r->truncated = 1;
      break;
    }
    const unsigned char* name = BPF_CORE_READ(dentry, d_name.name);
    bpf_probe_read_kernel_str(r->names[depth & (DA_MAX_PATH_DEPTH - 1)], DA_MAX_PATH_NAME, name);
    depth++;
    struct dentry* parent_dentry = BPF_CORE_READ(dentry, d_parent);
    if (parent_dentry == dentry) break;
    dentry = parent_dentry;
  }
  r->depth = depth;
  if (bpf_ringbuf_output(&events, r, sizeof *r, wakeup_flag())) count_lost();
}

static __always_inline void read_args(struct pt_regs* regs, unsigned long long args[6]) {
  args[0] = regs->di;
  args[1] = regs->si;
  args[2] = regs->dx;
  args[3] = regs->r10;
  args[4] = regs->r8;
  args[5] = regs->r9;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs* regs, long id) {
  // Most syscalls are handled at exit: leave at once.
  if (id != NR_EXECVE && id != NR_EXECVEAT && id != NR_EXIT && id != NR_EXIT_GROUP) return 0;
  struct task_struct* task = bpf_get_current_task_btf();
  __u32 ns_pid = 0, inum = 0;
  __u32* container = current_target(task, &ns_pid, &inum);
  __u32 pending = DA_PENDING_CONTAINER;
  if (!container && inum && (id == NR_EXECVE || id == NR_EXECVEAT)) {
    // runc starting a container's first process: Docker's start event (and with it user
    // space) comes later, so capture this namespace from here on; user space names it.
    if (!is_setup(task)) return 0;
    if (bpf_map_update_elem(&targets, &inum, &pending, BPF_NOEXIST) == 0) targets_changed();
    struct pid* pid = task->thread_pid;
    ns_pid = pid->numbers[target_level].nr;
    container = &pending;
  }
  if (!container) return 0;
  unsigned long long args[6];
  read_args(regs, args);
  if (id == NR_EXECVE) emit_exec_args(args, args[0], args[1]);
  else if (id == NR_EXECVEAT) emit_exec_args(args, args[1], args[2]);
  else {  // exit, exit_group: never return
    __u32 key = (__u32)id;
    if (id == NR_EXIT_GROUP) {
      __u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
      bpf_map_delete_elem(&connected, &tgid);
    }
    struct thread_seq* st = bpf_task_storage_get(&thread_seqs, task, 0, 0);
    char comm[16];
    bpf_get_current_comm(comm, sizeof comm);
    // The thread ends: calls held back for it go with its last record (a learning program
    // learns them; for a stable one they only end its window).
    struct handover last = {};
    if (st) {
      last.judged = st->judged;
      last.calls = st->calls;
      st->judged = 0;
    }
    emit(task, *container, ns_pid, inum, (int)id, 0, args, bpf_map_lookup_elem(&arg_kinds, &key),
         st ? st->epoch : 0, comm, st, last);
  }
  return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs* regs, long ret) {
  struct task_struct* task = bpf_get_current_task_btf();
  const int nr = (int)regs->orig_ax;
  const int exec_done = (nr == NR_EXECVE || nr == NR_EXECVEAT) && ret == 0;
  __u32 container = 0, ns_pid = 0, inum = 0;
  struct thread_seq* st = 0;
  // After an exec the thread may have taken its leader's pid: looked up again.
  if (!monitored_thread(task, exec_done, &container, &ns_pid, &inum, &st)) return 0;
  if (nr < 0 || nr >= MAX_NR || nr == NR_EXIT || nr == NR_EXIT_GROUP) return 0;
  unsigned long long args[6];
  read_args(regs, args);
  if (nr == NR_CONNECT) note_connect(args);
  __u32 key = (__u32)nr;
  struct da_arg_kinds* kinds = bpf_map_lookup_elem(&arg_kinds, &key);
  // Read once: judging compares it, the record carries it. Loaded straight from the task rather
  // than through the bpf_get_current_comm helper; the kernel pads it with zeros (a kernel that
  // left bytes after the NUL would only keep a registration from matching: sent, not judged).
  char comm[16];
  __builtin_memcpy(comm, task->comm, sizeof comm);
  struct handover h = {};
  if (exec_done) {
    // From here on it is the container's program (exec is rare: no need to look first). Its
    // name is already the new program's, so this exec itself is emitted.
    bpf_task_storage_delete(&setup_tasks, task);
    emit_exe(task);
    if (st) {
      // The old program's calls held back for learning go with the exec's record, which
      // carries the new sequence's epoch; then the sequence starts over with the exec.
      h.judged = st->judged;
      h.calls = st->calls;
      st->judged = 0;
      emit(task, container, ns_pid, inum, nr, ret, args, kinds, st->epoch + 2, comm, st, h);
      restart_seq(st);
      judge(st, kinds, nr, comm, &h, 0);  // an exec is never judged: this only follows it
      return 0;
    }
  }
  const int known = st && st->program && (nr == NR_OPENAT || nr == NR_OPEN) && known_open(st, nr, args, ret);
  if (st && judge(st, kinds, nr, comm, &h, known)) return 0;
  emit(task, container, ns_pid, inum, nr, ret, args, kinds, st ? st->epoch : 0, comm, st, h);
  return 0;
}
