#include "detect/sequence_only.h"

#include <sys/syscall.h>

#include "detect/event_resources.h"
#include "detect/indicators.h"
#include "detect/process_table.h"
#include "syscalls/syscall_table.h"

namespace da {

std::vector<bool> sequence_only_calls() {
  std::vector<bool> only(kMaxSyscallNr, false);
  for (int nr = 0; nr < kMaxSyscallNr; ++nr) {
    // Threads and processes begin and end here: the detector keeps their state by them.
    const bool lifecycle = nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork ||
                           nr == SYS_exit || nr == SYS_exit_group || nr == SYS_execve || nr == SYS_execveat;
    only[static_cast<size_t>(nr)] = !lifecycle && !has_resources(nr) && !ProcessTable::reads_call(nr) &&
                                    !indicators_read(nr);
  }
  return only;
}

}  // namespace da
