#include "tunecase/runner/retry_policy.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <string>

namespace tunecase {
namespace {

// The longest Retry-After we honour: a server asking for more is treated as asking for this, so
// one bad header cannot stall a run for hours.
constexpr std::chrono::milliseconds kMaxRetryAfter{10 * 60 * 1000};

std::optional<double> number(const std::string& text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// RFC 7231 IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
std::optional<std::chrono::milliseconds> from_http_date(const std::string& text) {
  std::tm tm{};
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(at - std::chrono::system_clock::now());
  return std::max(wait, std::chrono::milliseconds(0));
}

}  // namespace

AttemptOutcome classify_attempt(const HttpResponse& r) {
  if (r.too_large) return AttemptOutcome::kFatal;  // the same answer again: no retry
  if (!r.transport_error.empty() || r.timed_out || r.status == 0) return AttemptOutcome::kRetryable;
  if (r.status >= 200 && r.status < 300) return AttemptOutcome::kAnswered;
  if (out_of_credit(r)) return AttemptOutcome::kFatal;
  if (r.status == 429 || r.status == 408 || r.status >= 500) return AttemptOutcome::kRetryable;
  return AttemptOutcome::kFatal;
}

std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& r) {
  std::optional<std::chrono::milliseconds> wait;
  if (auto ms = r.headers.find("retry-after-ms"); ms != r.headers.end()) {
    if (auto v = number(ms->second)) wait = std::chrono::milliseconds(static_cast<int64_t>(*v));
  }
  if (auto s = r.headers.find("retry-after"); !wait && s != r.headers.end()) {
    if (auto v = number(s->second)) {
      wait = std::chrono::milliseconds(static_cast<int64_t>(*v * 1000));
    } else {
      wait = from_http_date(s->second);
    }
  }
  if (wait) wait = std::min(*wait, kMaxRetryAfter);
  return wait;
}

RetryPolicy::RetryPolicy(int max_attempts, std::chrono::milliseconds base,
                         std::chrono::milliseconds cap, uint64_t seed)
    : max_attempts_(std::max(1, max_attempts)), base_(base), cap_(cap), rng_(seed) {}

std::chrono::milliseconds RetryPolicy::delay(int attempts, const HttpResponse& failed) {
  int doublings = std::clamp(attempts - 1, 0, 30);
  int64_t ceiling = std::min<int64_t>(cap_.count(), base_.count() << std::min(doublings, 20));
  std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(ceiling, 0));
  std::chrono::milliseconds wait(jitter(rng_));
  if (auto asked = retry_after(failed)) wait = std::max(wait, *asked);
  return wait;
}

}  // namespace tunecase
