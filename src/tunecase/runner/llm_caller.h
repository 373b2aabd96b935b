#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "tunecase/approaches/classifier.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/llm_approach.h"
#include "tunecase/llm/prices.h"
#include "tunecase/runner/budget.h"
#include "tunecase/runner/rate_limiter.h"
#include "tunecase/runner/response_cache.h"
#include "tunecase/runner/retry_policy.h"
#include "tunecase/runner/scheduler.h"

namespace tunecase {

struct LlmCallOptions {
  std::filesystem::path cache_file;  // "" = no cache
  int max_attempts = 3;
  std::chrono::milliseconds timeout{30000};  // per attempt
  // All attempts of one call end within this (0: no bound): an attempt waits at most what is
  // left, and a retry that would start past it is not made. The gateway sets it under its HTTP
  // answer deadline, so the client gets the call's own failure, not a 504 while it still runs.
  std::chrono::milliseconds deadline{0};
  std::chrono::milliseconds retry_base_delay{200};
  std::chrono::milliseconds retry_max_delay{5000};
  std::optional<double> max_cost_usd;  // cap on the caller's whole spend
  uint64_t jitter_seed = 1;
};

// What a caller has done so far (measured).
struct LlmCallStats {
  std::size_t requests_sent = 0, cache_hits = 0, retries = 0, errors = 0, invalid = 0;
  std::size_t uncached = 0;  // answers the response cache could not store (a full disk)
  double spent_usd = 0;
  bool simulated = false;
};

// The runner's single-request path, beside its batch loop (run_loop.h), for the gateway: one text
// through an LLM approach under the same rules as a batch run (response cache, rpm/tpm limits,
// retries with back-off that honours Retry-After, a time-out per attempt, a spend cap, cost from
// measured tokens and the price) without holding a thread while it waits. classify() returns at
// once; `done` is called exactly once, from the HTTP client's I/O thread, the caller's scheduler
// thread, or (a cache hit, a refused request) the calling thread. Keep `done` short. Thread-safe.
// The approach must outlive the caller; destroying the caller completes waiting retries with an
// error ("shut down") and waits for nothing else.
class LlmCaller {
 public:
  LlmCaller(const LlmApproach& approach, std::optional<Price> price, LlmCallOptions options,
            HttpClient& client);
  ~LlmCaller();

  void classify(std::string text, std::function<void(Prediction)> done);
  // The same through another approach of the same provider and model (the gateway's LLM
  // approach after a new example pool is promoted): the call keeps `approach` alive until it is
  // answered, so a swap never pulls a prompt from under a request in flight. The rate limits,
  // spend cap, cache and stats stay the caller's.
  // `deadline`, when given and set, replaces LlmCallOptions::deadline for this call (shorter:
  // the gateway's fallback call, which starts when the challenger's time is up).
  void classify(std::shared_ptr<const LlmApproach> approach, std::string text,
                std::function<void(Prediction)> done,
                std::optional<std::chrono::milliseconds> deadline = std::nullopt);
  LlmCallStats stats() const;
  // stats().simulated without the lock: whether any answer so far came from sim-llm.
  bool simulated() const { return simulated_; }
  // From now on no request is sent: retries and rate-limited requests complete with the error
  // "shut down" when their time comes. Call it before destroying the HTTP client, whose
  // in-flight requests then complete without being retried. Idempotent.
  void shutdown();
  const LlmApproach& approach() const { return approach_; }

 private:
  struct Call;
  void start(std::shared_ptr<Call> call);
  void send(std::shared_ptr<Call> call);
  void on_response(std::shared_ptr<Call> call, HttpResponse response);
  void finish(std::shared_ptr<Call> call, Prediction p, double actual_usd);
  void put_in_cache(const std::string& key, const CachedResponse& response);  // under mutex_
  Prediction answered(const LlmApproach& approach, const ChatAnswer& answer, double latency_ms,
                      bool cached, std::size_t request_bytes);

  const LlmApproach& approach_;
  std::optional<Price> price_;
  LlmCallOptions options_;
  HttpClient& client_;
  std::unique_ptr<ResponseCache> cache_;
  // Rate limits or a spend cap: each call then takes mutex_ to be let through and to settle.
  // Without them (a gateway's usual LLM approach) a call takes no lock shared with the calls of
  // other threads, unless it reads or writes the cache or is retried.
  const bool metered_;
  mutable std::mutex mutex_;  // guards the three below and the cache
  RateLimiter limiter_;
  RetryPolicy retry_;
  SpendBudget budget_;
  std::atomic<double> unmetered_spent_{0};
  std::atomic<std::size_t> requests_sent_{0}, cache_hits_{0}, retries_{0}, errors_{0}, invalid_{0};
  std::atomic<bool> simulated_{false};
  std::atomic<std::size_t> cache_write_failures_{0};
  std::chrono::steady_clock::time_point last_cache_warning_{};  // under mutex_
  std::atomic<bool> stopping_{false};
  Scheduler scheduler_;  // last: destroyed first, while the rest is still alive
};

}  // namespace tunecase
