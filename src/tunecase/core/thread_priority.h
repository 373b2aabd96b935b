#pragma once

namespace tunecase {

// Makes the calling thread yield the CPU to the process's other threads: for background work
// (the gateway's log writer, its audit flusher) that must not delay the threads answering
// requests. `nice` is added to the thread's niceness (Linux: per thread); a failure (a
// container that forbids it) leaves the priority as it was, which is only slower.
void lower_this_thread_priority(int nice = 10);

}  // namespace tunecase
