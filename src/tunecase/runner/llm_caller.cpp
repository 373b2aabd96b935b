#include "tunecase/runner/llm_caller.h"

#include <fmt/format.h>

#include "tunecase/core/stderr_note.h"
#include "tunecase/runner/answer.h"

namespace tunecase {

struct LlmCaller::Call {
  std::shared_ptr<const LlmApproach> approach;  // the prompt and parser this call started with
  std::string text;
  std::function<void(Prediction)> done;
  HttpRequest request;  // handed to the client on each attempt, built again for a retry
  std::string key;
  double tokens = 0;     // estimated input + max_tokens, taken from the token bucket
  double worst_usd = 0;  // reserved from the spend cap
  int attempts = 0;
  int unpriced_attempts = 0;  // Prediction::unpriced_attempts
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::milliseconds deadline{0};  // all attempts end within this (0: no bound)

  // The request of `text`, the same bytes each time it is built.
  void build_request(std::chrono::milliseconds timeout) {
    request = approach->request(text);
    request.timeout = timeout;
  }
  // What is left of the call's `deadline` (set: > 0) now.
  std::chrono::milliseconds left(std::chrono::milliseconds deadline) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(started + deadline -
                                                                 std::chrono::steady_clock::now());
  }
};

namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

Prediction failed(std::string why, double latency_ms) {
  Prediction p;
  p.error = std::move(why);
  p.latency_ms = latency_ms;
  return p;
}

}  // namespace

LlmCaller::LlmCaller(const LlmApproach& approach, std::optional<Price> price,
                     LlmCallOptions options, HttpClient& client)
    : approach_(approach),
      price_(std::move(price)),
      options_(std::move(options)),
      client_(client),
      metered_(approach.config().llm.rpm > 0 || approach.config().llm.tpm > 0 ||
               options_.max_cost_usd.has_value()),
      limiter_(
          approach.config().llm.rpm > 0 ? std::optional(approach.config().llm.rpm) : std::nullopt,
          approach.config().llm.tpm > 0 ? std::optional(approach.config().llm.tpm) : std::nullopt),
      retry_(options_.max_attempts, options_.retry_base_delay, options_.retry_max_delay,
             options_.jitter_seed),
      budget_(options_.max_cost_usd) {
  if (!options_.cache_file.empty()) cache_ = std::make_unique<ResponseCache>(options_.cache_file);
  options_.timeout = approach.request_timeout(options_.timeout);
}

LlmCaller::~LlmCaller() = default;

LlmCallStats LlmCaller::stats() const {
  LlmCallStats s;
  s.requests_sent = requests_sent_;
  s.cache_hits = cache_hits_;
  s.retries = retries_;
  s.errors = errors_;
  s.invalid = invalid_;
  s.simulated = simulated_;
  s.uncached = cache_write_failures_;
  std::lock_guard lock(mutex_);
  s.spent_usd = budget_.spent() + unmetered_spent_.load();
  return s;
}

void LlmCaller::classify(std::string text, std::function<void(Prediction)> done) {
  // Not owned: the constructor's approach outlives the caller.
  classify(std::shared_ptr<const LlmApproach>(std::shared_ptr<void>(), &approach_), std::move(text),
           std::move(done));
}

void LlmCaller::classify(std::shared_ptr<const LlmApproach> with, std::string text,
                         std::function<void(Prediction)> done,
                         std::optional<std::chrono::milliseconds> deadline) {
  auto call = std::make_shared<Call>();
  call->deadline = deadline && deadline->count() > 0 ? *deadline : options_.deadline;
  call->approach = std::move(with);
  const LlmApproach& approach = *call->approach;
  call->text = std::move(text);
  call->done = std::move(done);
  call->build_request(options_.timeout);
  if (cache_)  // a hash of the whole body: only for the cache
    call->key =
        cache_key(approach.provider().endpoint(), approach.options().model, call->request.body);
  double tokens_in = static_cast<double>(estimate_tokens(call->request.body));
  double tokens_out = approach.options().max_tokens;
  call->tokens = tokens_in + tokens_out;
  if (price_)
    call->worst_usd = worst_case_usd(*price_, call->request.body, approach.options().max_tokens);
  std::optional<CachedResponse> hit;
  if (cache_) {
    std::lock_guard lock(mutex_);
    hit = cache_->get(call->key);
  }
  if (hit) {
    HttpResponse response;
    response.status = hit->status;
    response.body = hit->body;
    try {
      ChatAnswer answer = approach.provider().parse_response(response);
      answer.simulated = answer.simulated || hit->simulated;
      Prediction p =
          answered(approach, answer, ms_since(call->started), true, call->request.body.size());
      call->done(std::move(p));
      return;
    } catch (const ProviderError&) {
      // an unreadable cached body is asked again
    }
  }
  start(std::move(call));
}

// Takes a rate-limit slot and a share of the spend cap, then sends; waits on the scheduler when
// the limits say "not yet".
void LlmCaller::start(std::shared_ptr<Call> call) {
  if (!metered_) return send(std::move(call));
  auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  if (!budget_.allows(call->worst_usd)) {
    ++errors_;
    lock.unlock();
    call->done(failed("not run: spend cap reached", ms_since(call->started)));
    return;
  }
  auto ready = limiter_.ready_at(call->tokens, now);
  // A wait for the rate limit (rpm, tpm) past the call's deadline would send a request whose
  // client has had its 504: it is not sent, and fails now.
  if (ready > now && call->deadline.count() > 0 && ready - now >= call->left(call->deadline)) {
    ++errors_;
    lock.unlock();
    call->done(failed(fmt::format("not sent: the rate limit (rpm, tpm) would hold it past the "
                                  "{} s the call may take",
                                  call->deadline.count() / 1000),
                      ms_since(call->started)));
    return;
  }
  if (ready > now) {
    lock.unlock();
    scheduler_.at(ready, [this, call](bool cancelled) {
      if (cancelled) return call->done(failed("shut down", ms_since(call->started)));
      start(call);
    });
    return;
  }
  limiter_.take(call->tokens, now);
  budget_.reserve(call->worst_usd);
  lock.unlock();
  send(std::move(call));
}

void LlmCaller::shutdown() {
  stopping_ = true;
}

void LlmCaller::send(std::shared_ptr<Call> call) {
  if (stopping_) {  // the client may be gone: never touch it again
    finish(call, failed("shut down", ms_since(call->started)), 0);
    return;
  }
  ++requests_sent_;
  // The request is handed over, not copied: a retry builds it again. Every attempt, the first
  // after a wait for the rate limit included, waits at most what is left of the call's deadline.
  if (call->attempts > 0) call->build_request(options_.timeout);
  if (call->deadline.count() > 0)
    call->request.timeout = std::max(std::chrono::milliseconds(1),
                                     std::min(options_.timeout, call->left(call->deadline)));
  ++call->attempts;
  client_.submit(std::move(call->request),
                 [this, call](HttpResponse response) { on_response(call, std::move(response)); });
}

void LlmCaller::on_response(std::shared_ptr<Call> call, HttpResponse response) {
  // An attempt that never left this machine (out of open files or sockets) was not sent: the
  // count is of what the endpoint may bill.
  if (response.local_fault) --requests_sent_;
  // A copy written in full on a kept-alive connection that then closed unanswered, sent again by
  // the client: it may have reached the endpoint too.
  if (response.copies_sent > 1) {
    requests_sent_ += static_cast<std::size_t>(response.copies_sent - 1);
    retries_ += static_cast<std::size_t>(response.copies_sent - 1);
    call->unpriced_attempts += response.copies_sent - 1;
  }
  // An attempt that reached the provider and brought back no answer to price (a time-out, a
  // 2xx cut off) may have been billed all the same: its cost is unknown (it had been $0).
  const bool cut_off =
      response.status_before_failure >= 200 && response.status_before_failure < 300;
  if (!response.local_fault && (response.timed_out || cut_off)) ++call->unpriced_attempts;
  AttemptOutcome outcome = classify_attempt(response);
  if (outcome == AttemptOutcome::kAnswered) {
    try {
      ChatAnswer answer = call->approach->provider().parse_response(response);
      Prediction p = answered(*call->approach, answer, ms_since(call->started), false,
                              call->request.body.size());
      if (cache_ || metered_) {
        std::lock_guard lock(mutex_);
        if (cache_)
          put_in_cache(call->key, {response.status, response.body, p.latency_ms, answer.simulated});
        limiter_.settle(call->tokens, static_cast<double>(p.tokens_in + p.tokens_out));
      }
      // An answer that gave no token usage costs the worst case reserved for it: unknown is
      // never free, and the cap holds.
      double cost = p.cost_usd.value_or(price_ ? call->worst_usd : 0.0);
      finish(call, std::move(p), cost);
    } catch (const ProviderError& e) {
      ++call->unpriced_attempts;  // answered (2xx), so likely billed
      finish(call, failed(fmt::format("unreadable answer: {}", e.what()), ms_since(call->started)),
             0);
    }
    return;
  }
  std::unique_lock lock(mutex_);
  limiter_.settle(call->tokens, 0);
  const bool retryable = outcome == AttemptOutcome::kRetryable && retry_.may_retry(call->attempts);
  const auto delay =
      retryable ? retry_.delay(call->attempts, response) : std::chrono::milliseconds{};
  // A retry that would start past the call's deadline is not made.
  if (retryable && (call->deadline.count() <= 0 ||
                    call->left(call->deadline) > delay + std::chrono::milliseconds(100))) {
    ++retries_;
    lock.unlock();
    scheduler_.after(delay, [this, call](bool cancelled) {
      if (cancelled) {
        finish(call, failed("shut down", ms_since(call->started)), 0);
        return;
      }
      send(call);
    });
    return;
  }
  lock.unlock();
  std::string why = call->approach->failure_text(response);
  // Retryable, but the wait would pass the deadline: say so, or "failed after 1 attempt: HTTP
  // 429" reads as if nothing more could have been done.
  if (retryable)
    why += delay.count() >= 100
               ? fmt::format(
                     "; not retried: the wait before the next attempt ({:.1f} s{}) would "
                     "pass the call's deadline ({:.1f} s from its start)",
                     static_cast<double>(delay.count()) / 1000,
                     response.headers.count("retry-after") ? ", as the provider's Retry-After asks"
                                                           : "",
                     static_cast<double>(call->deadline.count()) / 1000)
               : fmt::format(
                     "; not retried: no time was left of the call's deadline ({:.1f} s "
                     "from its start)",
                     static_cast<double>(call->deadline.count()) / 1000);
  Prediction p = failed(fmt::format("failed after {} attempt{}: {}", call->attempts,
                                    call->attempts == 1 ? "" : "s", why),
                        ms_since(call->started));
  p.timed_out = response.timed_out;
  p.local_fault = response.local_fault;
  finish(call, std::move(p), 0);
}

// The cache saves money on a repeat; it must never cost the answer. A write that fails (the
// disk under it full, its file made read-only) had thrown out of the response handler, and the
// call never finished: every request on the arm waited for the gateway's 504, paid for and
// logged nowhere. The answer goes on; the failure is said on stderr, at most once a minute.
void LlmCaller::put_in_cache(const std::string& key, const CachedResponse& response) {
  try {
    cache_->put(key, response);
  } catch (const std::exception& e) {
    ++cache_write_failures_;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_cache_warning_ >= std::chrono::minutes(1) ||
        last_cache_warning_ == std::chrono::steady_clock::time_point{}) {
      last_cache_warning_ = now;
      // Never throws: stderr on the same full disk fails too, and an exception here would leave
      // the call unfinished, as the failed write had.
      note_on_stderr(fmt::format(
          "warning: {} ({} answer{} not cached so far); the answers still go back to "
          "their callers, and a repeat of one is asked again and paid for\n",
          e.what(), cache_write_failures_.load(), cache_write_failures_.load() == 1 ? "" : "s"));
    }
  }
}

void LlmCaller::finish(std::shared_ptr<Call> call, Prediction p, double actual_usd) {
  // Each request the provider may have billed without a usage block costs the spend cap its
  // worst case, as an answer without usage does.
  p.unpriced_attempts = call->unpriced_attempts;
  if (price_) actual_usd += call->unpriced_attempts * call->worst_usd;
  if (metered_) {
    std::lock_guard lock(mutex_);
    budget_.settle(call->worst_usd, actual_usd);
  } else {
    unmetered_spent_.fetch_add(actual_usd);
  }
  if (p.error) ++errors_;
  if (p.invalid) ++invalid_;
  call->done(std::move(p));
}

Prediction LlmCaller::answered(const LlmApproach& approach, const ChatAnswer& answer,
                               double latency_ms, bool cached, std::size_t request_bytes) {
  Prediction p = prediction_of(approach, answer, price_, latency_ms, request_bytes);
  // A cached answer is paid for already: it costs nothing now.
  if (price_ && cached) p.cost_usd = 0.0;
  p.cached = cached;
  if (answer.simulated) simulated_ = true;
  if (cached) ++cache_hits_;
  return p;
}

}  // namespace tunecase
