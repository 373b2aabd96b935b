#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tunecase::serve {

// A few threads of its own for work that blocks (a store call that waits for a disk flush or a
// PostgreSQL round trip, the pilot report's query), so the HTTP pool never does. Bounded: submit()
// refuses work beyond `capacity` waiting tasks (the route answers 503), never queueing without
// limit. Tasks must not throw. Thread-safe.
class BlockingPool {
 public:
  BlockingPool(std::size_t threads, std::size_t capacity);
  ~BlockingPool();  // runs the tasks already queued, then joins

  bool submit(std::function<void()> task);

 private:
  void loop();

  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tunecase::serve
