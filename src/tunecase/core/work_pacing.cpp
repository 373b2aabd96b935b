#include "tunecase/core/work_pacing.h"

#include <thread>
#include <utility>

namespace tunecase {
namespace {

using Clock = std::chrono::steady_clock;

thread_local WorkPacer* current_pacer = nullptr;

}  // namespace

WorkPacer::WorkPacer(std::chrono::microseconds slice, std::chrono::microseconds pause,
                     std::function<bool()> hurry)
    : slice_(slice), pause_(pause), hurry_(std::move(hurry)), slice_started_(Clock::now()) {}

void WorkPacer::point() {
  if (Clock::now() - slice_started_ < slice_) return;
  if (pause_.count() > 0 && !(hurry_ && hurry_())) {
    std::this_thread::sleep_for(pause_);
    ++pauses_;
  }
  slice_started_ = Clock::now();
}

void WorkPacer::restart() {
  slice_started_ = Clock::now();
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
