#pragma once

namespace tunecase {

// Raises the calling thread's nice value by `by` (at most to 19), for threads whose work is
// off the response path: when a core is contended, the threads that answer requests get it
// first. Raising a nice value needs no privilege; where it fails anyway the thread keeps its
// priority, which only costs latency. Lowering it back does need privilege, so a thread that
// must sometimes run at full priority hands its work to another thread instead
// (serve/prediction_log.h).
void lower_thread_priority(int by);

// Moves the calling thread to the kernel's idle scheduling class (Linux SCHED_IDLE): it runs
// only on a core that no other thread wants, a thread that wakes takes the core from it at once,
// and the kernel places waking threads on its core as on an idle one. Needs no privilege; false
// where the kernel refuses (the thread's class is unchanged). There is no way back without
// privilege, and beside saturated threads it gets almost no CPU: its work must be something
// another thread can take over (serve/prediction_log.h).
bool move_thread_to_idle_class();

}  // namespace tunecase
