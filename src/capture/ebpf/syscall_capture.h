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

struct da_arg_kinds {
  unsigned char kind[6];
  unsigned char any_string; /* some argument is read as a string */
};

struct da_syscall_record {
  unsigned int type; /* DA_RECORD_SYSCALL */
  unsigned int container; /* index given by user space for the pid namespace */
  unsigned long long time_ns; /* CLOCK_MONOTONIC */
  unsigned int pid, tid, ns_pid, ppid, uid;
  unsigned int pid_ns; /* inode of the pid namespace (at the containers' level) */
  int nr;
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

#endif
