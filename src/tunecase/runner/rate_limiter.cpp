#include "tunecase/runner/rate_limiter.h"

#include <algorithm>

namespace tunecase {

TokenBucket::TokenBucket(double rate_per_second, double capacity, SteadyClock::time_point now)
    : rate_(rate_per_second), capacity_(capacity), level_(capacity), last_(now) {}

void TokenBucket::refill(SteadyClock::time_point now) {
  if (now <= last_) return;
  double seconds = std::chrono::duration<double>(now - last_).count();
  level_ = std::min(capacity_, level_ + seconds * rate_);
  last_ = now;
}

SteadyClock::time_point TokenBucket::ready_at(double amount, SteadyClock::time_point now) {
  refill(now);
  double needed = std::min(amount, capacity_);
  if (level_ >= needed) return now;
  auto wait = std::chrono::duration<double>((needed - level_) / rate_);
  return now + std::chrono::ceil<SteadyClock::duration>(wait);
}

void TokenBucket::take(double amount, SteadyClock::time_point now) {
  refill(now);
  level_ -= amount;
}

void TokenBucket::give_back(double amount) {
  level_ = std::min(capacity_, level_ + amount);
}

RateLimiter::RateLimiter(std::optional<double> rpm, std::optional<double> tpm,
                         SteadyClock::time_point now) {
  if (rpm && *rpm > 0) requests_.emplace(*rpm / 60.0, std::max(1.0, *rpm / 60.0), now);
  if (tpm && *tpm > 0) tokens_.emplace(*tpm / 60.0, std::max(1.0, *tpm / 60.0), now);
}

SteadyClock::time_point RateLimiter::ready_at(double tokens, SteadyClock::time_point now) {
  SteadyClock::time_point at = now;
  if (requests_) at = std::max(at, requests_->ready_at(1, now));
  if (tokens_) at = std::max(at, tokens_->ready_at(tokens, now));
  return at;
}

void RateLimiter::take(double tokens, SteadyClock::time_point now) {
  if (requests_) requests_->take(1, now);
  if (tokens_) tokens_->take(tokens, now);
}

void RateLimiter::settle(double estimated, double used) {
  if (tokens_) tokens_->give_back(estimated - used);  // negative: the estimate was too low
}

}  // namespace tunecase
