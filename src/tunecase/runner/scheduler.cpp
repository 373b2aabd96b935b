#include "tunecase/runner/scheduler.h"

namespace tunecase {

Scheduler::Scheduler() : thread_([this] { loop(); }) {}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  while (!queue_.empty()) {
    Entry e = queue_.top();
    queue_.pop();
    e.task(true);
  }
}

void Scheduler::at(std::chrono::steady_clock::time_point when, Task task) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push({when, next_order_++, std::move(task)});
      wake_.notify_all();
      return;
    }
  }
  task(true);
}

void Scheduler::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto when = queue_.top().when;
    if (std::chrono::steady_clock::now() < when) {
      wake_.wait_until(lock, when);
      continue;
    }
    Entry e = queue_.top();
    queue_.pop();
    lock.unlock();
    e.task(false);
    lock.lock();
  }
}

}  // namespace tunecase
