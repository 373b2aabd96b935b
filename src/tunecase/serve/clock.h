#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace tunecase::serve {

// Milliseconds since 1970 (UTC). The gateway reads the time only through a Clock, so a replay of
// past traffic (the demo's simulated weeks of pilot) runs on the traffic's own timestamps.
using Clock = std::function<int64_t()>;

inline int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace tunecase::serve
