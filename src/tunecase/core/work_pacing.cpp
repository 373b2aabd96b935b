#include "tunecase/core/work_pacing.h"

#include <time.h>

#include <thread>

namespace tunecase {
namespace {

int64_t monotonic_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

thread_local WorkPacer* current_pacer = nullptr;

}  // namespace

WorkPacer::WorkPacer(std::chrono::microseconds slice, std::chrono::microseconds pause,
                     const std::atomic<bool>* hurry)
    : slice_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(slice).count()),
      pause_(pause),
      hurry_(hurry),
      slice_started_ns_(monotonic_ns()) {}

void WorkPacer::point() {
  if (monotonic_ns() - slice_started_ns_ < slice_ns_) return;
  if (pause_.count() > 0 && !(hurry_ && hurry_->load(std::memory_order_relaxed))) {
    std::this_thread::sleep_for(pause_);
    ++pauses_;
  }
  slice_started_ns_ = monotonic_ns();
}

void WorkPacer::restart() {
  slice_started_ns_ = monotonic_ns();
}

WorkPacer* thread_pacer() {
  return current_pacer;
}

ThreadPacerScope::ThreadPacerScope(WorkPacer* pacer) : previous_(current_pacer) {
  current_pacer = pacer;
}

ThreadPacerScope::~ThreadPacerScope() {
  current_pacer = previous_;
}

}  // namespace tunecase
