#include "tunecase/core/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace tunecase {

void lower_this_thread_priority(int nice) {
  // On Linux a "process" priority set on a thread id applies to that thread alone.
  auto tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  int current = getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return;
  (void)setpriority(PRIO_PROCESS, tid, current + nice);
}

}  // namespace tunecase
