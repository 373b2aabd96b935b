#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace tunecase {

// Runs short tasks at a later time on one thread of its own (retries after their back-off, a
// request waiting for its rate-limit slot), so no caller holds a thread while it waits.
// A task receives `cancelled`: true when the scheduler is destroyed before its time, so it can
// finish its work with an error instead of being dropped. Thread-safe.
class Scheduler {
 public:
  using Task = std::function<void(bool cancelled)>;

  Scheduler();
  ~Scheduler();  // runs every pending task at once with cancelled = true, then joins
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void at(std::chrono::steady_clock::time_point when, Task task);
  void after(std::chrono::milliseconds delay, Task task) {
    at(std::chrono::steady_clock::now() + delay, std::move(task));
  }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point when;
    unsigned long long order;
    Task task;
    bool operator>(const Entry& o) const {
      return when != o.when ? when > o.when : order > o.order;
    }
  };
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  unsigned long long next_order_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tunecase
