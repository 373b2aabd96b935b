#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace tunecase {

// Background work cut into short slices with a pause after each, for a thread whose work is
// off every request's path (the gateway's log writer): on a machine with few cores, a
// background thread that keeps a core busy for milliseconds on end costs the request threads'
// latency tail more than the same CPU time spread in short slices does, even in the idle
// scheduling class (docs/benchmarks.md, "Background work in slices"). The work is the same; it
// takes longer in wall-clock time.
class WorkPacer {
 public:
  // While `hurry` (optional, asked when a slice has run) says true, nothing pauses: someone
  // waits for the work to finish.
  WorkPacer(std::chrono::microseconds slice, std::chrono::microseconds pause,
            std::function<bool()> hurry = {});
  // Called often (every few microseconds of work) by the paced thread: sleeps `pause` once the
  // current slice has run `slice`, then starts the next. Cheap when it does not sleep (a clock
  // read).
  void point();
  // Starts a fresh slice (after the thread waited anyway, e.g. for work to arrive).
  void restart();
  int64_t pauses() const { return pauses_; }

 private:
  std::chrono::microseconds slice_;
  std::chrono::microseconds pause_;
  std::function<bool()> hurry_;
  std::chrono::steady_clock::time_point slice_started_;
  int64_t pauses_ = 0;
};

// The pacer of the calling thread's work, or nullptr (the default: no pauses). The work such a
// thread does in shared code (the store's commits) calls pace_point(), which does nothing on
// other threads.
WorkPacer* thread_pacer();
// Sets the calling thread's pacer (nullptr: none) for as long as the object lives.
class ThreadPacerScope {
 public:
  explicit ThreadPacerScope(WorkPacer* pacer);
  ~ThreadPacerScope();
  ThreadPacerScope(const ThreadPacerScope&) = delete;
  ThreadPacerScope& operator=(const ThreadPacerScope&) = delete;

 private:
  WorkPacer* previous_;
};
inline void pace_point() {
  if (WorkPacer* p = thread_pacer()) p->point();
}

}  // namespace tunecase
