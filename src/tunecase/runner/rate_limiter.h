#pragma once

#include <chrono>
#include <optional>

namespace tunecase {

using SteadyClock = std::chrono::steady_clock;

// A token bucket: `rate` tokens per second flow into a bucket holding at most `capacity`.
// A take may drive the level below zero (a request larger than the bucket still goes once the
// bucket is full); later takes then wait until the debt is repaid.
class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double capacity, SteadyClock::time_point now);

  // When a take of `amount` may happen (now when it may happen at once).
  SteadyClock::time_point ready_at(double amount, SteadyClock::time_point now);
  void take(double amount, SteadyClock::time_point now);
  // Returns tokens taken in excess (an estimate above the tokens really used); a negative amount
  // charges what the estimate missed.
  void give_back(double amount);

 private:
  void refill(SteadyClock::time_point now);
  double rate_, capacity_, level_;
  SteadyClock::time_point last_;
};

// The per-approach rate limits: requests per minute (`rpm`) and tokens per minute (`tpm`), each a
// token bucket holding one second of its rate (at least one request, or one request's tokens), so
// the flow stays smooth instead of a minute's burst followed by a stall.
class RateLimiter {
 public:
  RateLimiter(std::optional<double> rpm, std::optional<double> tpm,
              SteadyClock::time_point now = SteadyClock::now());

  SteadyClock::time_point ready_at(double tokens, SteadyClock::time_point now);
  void take(double tokens, SteadyClock::time_point now);
  // After the answer: the tokens the request really used, against the `estimated` taken.
  void settle(double estimated, double used);

 private:
  std::optional<TokenBucket> requests_, tokens_;
};

}  // namespace tunecase
