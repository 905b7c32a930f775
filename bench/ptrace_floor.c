/* The floor of ptrace-based capture: a tracer that attaches to a process tree (like strace -f
 * -p PID) and does nothing but resume every syscall stop. Whatever a real ptrace tracer costs
 * beyond this is its own work; this much is the kernel's (two stops, four context switches per
 * syscall). Usage: ptrace_floor PID... — each PID a thread (all of a running service's threads
 * for a service); runs until every traced thread has exited, or until killed (which detaches). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: ptrace_floor PID...\n");
    return 2;
  }
  long options = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                 PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;
  long tracees = 0;
  for (int i = 1; i < argc; ++i) {
    pid_t tid = atoi(argv[i]);
    if (ptrace(PTRACE_SEIZE, tid, 0, options) != 0 || ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0) {
      perror("ptrace attach");
      return 1;
    }
    ++tracees;
  }
  while (tracees > 0) {
    int status;
    pid_t tid = waitpid(-1, &status, __WALL);
    if (tid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      --tracees;
      continue;
    }
    int sig = WSTOPSIG(status);
    unsigned event = (unsigned)status >> 16;
    if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE)
      ++tracees;
    int deliver = (sig == (SIGTRAP | 0x80) || event != 0) ? 0 : sig;
    ptrace(PTRACE_SYSCALL, tid, 0, deliver);
  }
  return 0;
}
