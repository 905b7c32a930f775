#include "detect/sequence_only.h"

#include <sys/syscall.h>

#include "detect/event_resources.h"
#include "detect/indicators.h"
#include "detect/process_table.h"
#include "syscalls/syscall_table.h"

namespace da {

std::vector<KernelJudge::CallUse> sequence_only_calls() {
  using Use = KernelJudge::CallUse;
  std::vector<Use> only(kMaxSyscallNr, Use::kSent);
  for (int nr = 0; nr < kMaxSyscallNr; ++nr) {
    // Threads and processes begin and end here: the detector keeps their state by them.
    const bool lifecycle = nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork ||
                           nr == SYS_exit || nr == SYS_exit_group || nr == SYS_execve || nr == SYS_execveat;
    if (lifecycle || has_resources(nr) || indicators_read(nr)) continue;
    if (!ProcessTable::reads_call(nr)) only[static_cast<size_t>(nr)] = Use::kSequenceOnly;
    else if (ProcessTable::reads_call_only_when_connected(nr)) only[static_cast<size_t>(nr)] = Use::kSequenceOnlyUnconnected;
  }
  return only;
}

}  // namespace da
