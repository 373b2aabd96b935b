#include "tunecase/core/thread_priority.h"

#include <sched.h>
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

bool move_thread_to_idle_class() {
  sched_param param{};
  param.sched_priority = 0;
  // pid 0: the calling thread.
  return sched_setscheduler(0, SCHED_IDLE, &param) == 0;
}

}  // namespace tunecase
