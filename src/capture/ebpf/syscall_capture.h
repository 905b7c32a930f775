/* The records the kernel side (syscall_capture.bpf.c) writes to the ring buffer and the user
 * side (ebpf_backend.cpp) reads: shared, so both always agree on the layout. Plain C. */
#ifndef DA_SYSCALL_CAPTURE_H
#define DA_SYSCALL_CAPTURE_H

#define DA_MAX_STRING 256   /* bytes of one path / socket address read from the process */
#define DA_MAX_ARGV 16      /* execve argv entries kept */
#define DA_MAX_ARGV_STRING 128
#define DA_MAX_CONTAINERS 4096
#define DA_NO_STRING 0xff
/* Container index of a pid namespace the kernel side started capturing on its own: runc
 * exec'd a container's first process before Docker's start event let user space add it. */
#define DA_PENDING_CONTAINER 0xffffffffu
/* A pid namespace user space found to be no container of its Docker daemon (another runtime,
 * another dockerd): kept in the map so the kernel side neither captures it nor starts it again
 * as pending at its next exec. */
#define DA_IGNORED_CONTAINER 0xfffffffeu

enum da_record_type {
  DA_RECORD_SYSCALL = 1, /* one completed syscall */
  DA_RECORD_EXEC_ARGS = 2, /* execve's file name and argv, read at entry (gone after success) */
  DA_RECORD_EXE = 3,       /* the executable a successful exec runs, as path components */
  DA_RECORD_JUDGED_SYSCALL = 4, /* a da_judged_prefix, then a syscall record of the same thread */
};

#define DA_MAX_PATH_DEPTH 16
#define DA_MAX_PATH_NAME 64

/* How an argument is read, per syscall number (filled by user space from the syscall table). */
enum da_arg_kind {
  DA_ARG_VALUE = 0,
  DA_ARG_PATH = 1,         /* NUL-terminated string */
  DA_ARG_SOCKADDR_IN = 2,  /* socket address, length in the next argument */
  DA_ARG_SOCKADDR_OUT = 3, /* socket address, length behind the pointer in the next argument */
};

#define DA_CALL_SENT 0            /* its arguments matter: always sent */
#define DA_CALL_SEQUENCE_ONLY 1   /* its place in the sequence is all that matters */
/* close: only a process holding an outbound internet socket has its descriptors followed by
 * the detector (a reverse shell's socket put onto stdio). Sequence only in a process that never
 * connected one, nor its parent before forking it. */
#define DA_CALL_SEQUENCE_ONLY_UNCONNECTED 2

struct da_arg_kinds {
  unsigned char kind[6];
  unsigned char any_string; /* some argument is read as a string */
  /* Whether only the call's place in the sequence matters to the detector (no path, address,
   * fd bookkeeping or process change in it), so that the kernel may judge it itself: one of
   * DA_CALL_*. Set by the detector. */
  unsigned char sequence_only;
};

struct da_syscall_record {
  unsigned int type; /* DA_RECORD_SYSCALL */
  unsigned int container; /* index given by user space for the pid namespace */
  unsigned long long time_ns; /* CLOCK_MONOTONIC */
  unsigned int pid, tid, ns_pid, ppid, uid;
  unsigned int pid_ns; /* inode of the pid namespace (at the containers' level) */
  int nr;
  /* Names the thread's sequence state in the kernel: it changes when that state starts over
   * (first call seen, exec). A registration to judge the thread names it (da_judge_follow). */
  unsigned int thread_epoch;
  long long ret;
  unsigned long long args[6];
  char comm[16];
  /* Up to two string arguments (paths or socket addresses) in `strings`, back to back. */
  unsigned char string_arg[2]; /* argument index, or DA_NO_STRING */
  unsigned short string_len[2]; /* bytes, including the NUL of paths */
  char strings[2 * DA_MAX_STRING];
};

struct da_exec_record {
  unsigned int type; /* DA_RECORD_EXEC_ARGS */
  unsigned int tid;
  unsigned int argc; /* entries in argv (at most DA_MAX_ARGV) */
  unsigned int truncated; /* more argv entries existed */
  unsigned long long args[6]; /* raw arguments at entry */
  char filename[DA_MAX_STRING];
  char argv[DA_MAX_ARGV][DA_MAX_ARGV_STRING];
};

/* Sent before the record of a successful execve: the resolved executable (what
 * /proc/PID/exe says), seen from the process's root — read in the kernel because a short-lived
 * process is gone from /proc by the time user space reads its records. */
struct da_exe_record {
  unsigned int type; /* DA_RECORD_EXE */
  unsigned int pid;
  unsigned int depth;     /* components in names, innermost (the file name) first */
  unsigned int truncated; /* deeper than DA_MAX_PATH_DEPTH */
  char names[DA_MAX_PATH_DEPTH][DA_MAX_PATH_NAME];
};

/* In-kernel judging (issue 10): once an image's profile is stable, its programs' known syscall
 * sequences and each one's surprise bound are put in the kernel, and a thread the detector
 * registers has its calls judged there. A call is sent on only when the detector could do
 * something with it: an unknown sequence, a locality window that could reach the alarm
 * threshold (or leave an alarm), an argument the detector reads, or the first call after
 * DA_JUDGE_HEARTBEAT_JIFFIES without one (15-150 s at HZ 1000-100; the detector forgets a
 * thread after 600 s without an event). A thread's next record after calls judged in the
 * kernel starts with a da_judged_prefix: what the detector needs to carry on as if it had seen
 * them (how many, and the thread's last calls before the record's own). One record, not two:
 * a server that sends one call per request would otherwise write, and the agent read, twice
 * as many.
 * While an image's profile learns, its programs are registered as learning programs: nothing
 * is known yet, so the kernel holds each sequence-only call back instead, at most
 * DA_JUDGE_RECENT in a row (run repeats, which the detector does not learn, not counted), and
 * the thread's next record hands them over in its prefix — every one of them, as the prefix
 * carries the last DA_JUDGE_RECENT calls — so the detector learns every call from one record
 * in DA_JUDGE_RECENT + 1 instead of one per call. */
#define DA_JUDGE_WINDOW 16      /* the detector's locality window (calls) */
#define DA_JUDGE_CONTEXT 5      /* calls of context per sequence (the profile's order - 1) */
#define DA_JUDGE_RECENT 21      /* DA_JUDGE_WINDOW + DA_JUDGE_CONTEXT: enough to rescore a window */
#define DA_JUDGE_CODE_BITS 9    /* per call in a packed sequence, as the n-gram model packs */
#define DA_JUDGE_START_CODE 511 /* before a thread's first call */
#define DA_JUDGE_OTHER_CODE 510 /* call numbers from here on: never judged */
#define DA_JUDGE_UNIT 1024      /* surprise fixed point: 1/1024 nats */
#define DA_JUDGE_UNKNOWN 0xffff /* bound of a call with no known surprise */
#define DA_JUDGE_MAX_PROGRAMS 4096
#define DA_JUDGE_HEARTBEAT_JIFFIES 15000ull

/* judge_programs[id]: a stable program's state. The detector's window holds no alarm and no
 * alarm to leave while the sum of the last DA_JUDGE_WINDOW bounds is below quiet_sum. A
 * learning program holds its sequence-only calls back for the detector to learn instead. */
struct da_judge_program {
  unsigned int generation; /* bumped when the id is reused: old sequences and threads lapse */
  unsigned int quiet_sum;  /* 0: nothing is judged (unless learning) */
  unsigned int learning;   /* 1: a learning program (quiet_sum and known sequences unused) */
};

/* judge_known key: a known sequence of one program, DA_JUDGE_CONTEXT + 1 calls packed
 * oldest-first in DA_JUDGE_CODE_BITS each; value: its surprise bound (unsigned short). */
struct da_judge_key {
  unsigned int program;
  unsigned int generation;
  unsigned long long sequence;
};

/* judge_follow[tid]: the detector asks for a thread to be judged as a program; taken when the
 * epoch is still the thread's and its name is still `comm`, dropped otherwise. */
struct da_judge_follow {
  unsigned int program;
  unsigned int generation;
  unsigned int epoch;
  char comm[16];
};

/* judge_paths key: a da_judge_key whose `sequence` is the hash of an open whose file the
 * detector knows and would do nothing with (not sensitive, no indicator's target): a
 * registered thread's open of it is held back or judged like a sequence-only call. Only open
 * and openat of an absolute path read whole (shorter than DA_MAX_STRING). One hash, computed
 * alike on both sides: da_path_hash_start over the call number, the flags (32 bits) and
 * whether it failed, then da_path_hash_step over each byte of the path. A collision could
 * only hold back an open of another path by the same program; at 64 bits it is not expected
 * in the life of a host. */
#define DA_JUDGE_MAX_PATHS 16384
#define DA_PATH_HASH_SEED 14695981039346656037ull /* FNV-1a, 64 bits */
#define DA_PATH_HASH_PRIME 1099511628211ull
static inline unsigned long long da_path_hash_step(unsigned long long h, unsigned long long v) {
  return (h ^ v) * DA_PATH_HASH_PRIME;
}
static inline unsigned long long da_path_hash_start(int nr, unsigned int flags, int failed) {
  unsigned long long h = da_path_hash_step(DA_PATH_HASH_SEED, (unsigned long long)nr);
  h = da_path_hash_step(h, flags);
  return da_path_hash_step(h, failed ? 1 : 0);
}

struct da_judged_prefix {
  unsigned int type;   /* DA_RECORD_JUDGED_SYSCALL; a da_syscall_record follows */
  unsigned int judged; /* calls judged in the kernel since the thread's previous record */
  short recent[DA_JUDGE_RECENT]; /* its last calls before the record's own, oldest first; -1 before its first */
  short pad[3];        /* the record that follows stays 8-byte aligned */
};

#endif
