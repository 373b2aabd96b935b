#include "tunecase/core/thread_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace tunecase {

void lower_thread_priority(int by) {
  if (by <= 0) return;
  // On Linux PRIO_PROCESS with a thread id applies to that one thread.
  const auto tid = static_cast<id_t>(gettid());
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, tid);
  if (nice == -1 && errno != 0) return;
  setpriority(PRIO_PROCESS, tid, std::min(19, nice + by));
}

}  // namespace tunecase
