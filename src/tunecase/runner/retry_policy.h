#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

#include "tunecase/llm/http_client.h"

namespace tunecase {

// What to do with one HTTP attempt.
enum class AttemptOutcome {
  kAnswered,   // 2xx: read the answer
  kRetryable,  // 429, 5xx, 408, time-out, dropped or refused connection: try again later
  kFatal,      // any other status (400, 401, 404...): retrying cannot help
};

AttemptOutcome classify_attempt(const HttpResponse& response);

// An account out of credit (out_of_credit, llm/http_client.h) is kFatal: no wait helps.

// The wait the server asked for: `retry-after-ms`, else `Retry-After` in seconds (integer or
// decimal) or as an HTTP date. nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& response);

// Exponential back-off with full jitter (wait uniform in [0, min(cap, base * 2^(attempt-1))]),
// never shorter than the server's Retry-After. Deterministic for a given seed.
class RetryPolicy {
 public:
  RetryPolicy(int max_attempts, std::chrono::milliseconds base = std::chrono::milliseconds(500),
              std::chrono::milliseconds cap = std::chrono::milliseconds(30000), uint64_t seed = 1);

  // True when an item that has made `attempts` attempts may make another.
  bool may_retry(int attempts) const { return attempts < max_attempts_; }
  // The wait before the attempt after `attempts` failed ones.
  std::chrono::milliseconds delay(int attempts, const HttpResponse& failed);

  int max_attempts() const { return max_attempts_; }

 private:
  int max_attempts_;
  std::chrono::milliseconds base_, cap_;
  std::mt19937_64 rng_;
};

}  // namespace tunecase
