#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "test_client.h"
#include "tunecase/http/server.h"

namespace tunecase::http::testing {

// Waits until `condition` holds, for at most `limit`; returns whether it held.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Responders a route kept for later, answered by the test from its own thread.
class HeldResponders {
 public:
  void add(Responder responder) {
    std::lock_guard lock(mutex_);
    held_.push_back(std::move(responder));
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  std::vector<Responder> take() {
    std::lock_guard lock(mutex_);
    return std::move(held_);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Responder> held_;
};

// A real server on a free loopback port.
class ServerTest : public ::testing::Test {
 protected:
  void start(Handler handler, ServerOptions options = {}) {
    server_ = std::make_unique<Server>(std::move(options), std::move(handler));
    port_ = server_->start();
  }
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

}  // namespace tunecase::http::testing
