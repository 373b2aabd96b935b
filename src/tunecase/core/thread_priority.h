#pragma once

namespace tunecase {

// Raises the calling thread's nice value by `by` (at most to 19), for threads whose work is
// off the response path (the prediction log's background writer): when a core is contended,
// the threads that answer requests get it first. Raising a nice value needs no
// privilege; where it fails anyway the thread keeps its priority, which only costs latency.
// Lowering it back does need privilege, so a thread that must sometimes run at full priority
// hands its work to another thread instead (serve/prediction_log.h).
void lower_thread_priority(int by);

}  // namespace tunecase
