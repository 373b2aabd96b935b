#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <queue>
#include <unordered_map>
#include <vector>

#include "tunecase/llm/llm_approach.h"
#include "tunecase/llm/prices.h"
#include "tunecase/runner/budget.h"
#include "tunecase/runner/cache_turn.h"
#include "tunecase/runner/llm_runner.h"
#include "tunecase/runner/progress.h"
#include "tunecase/runner/rate_limiter.h"
#include "tunecase/runner/response_cache.h"
#include "tunecase/runner/retry_policy.h"

namespace tunecase {

// One evaluation run of an LLM approach (see run_llm_approach). The runner thread owns all of
// this; the HTTP client's I/O thread only appends to the shared inbox.
// 0..n-1 shuffled by `seed`, the same on every platform: the order a run sends its items in.
std::vector<std::size_t> send_order(std::size_t n, uint64_t seed);

class RunLoop {
 public:
  RunLoop(const LlmApproach& approach, const Examples& items, const std::optional<Price>& price,
          const LlmRunOptions& options, HttpClient& client, std::ostream& log, bool live);

  LlmRunResult run();

 private:
  struct Completion {
    std::size_t item;
    HttpResponse response;
  };
  // Where finished attempts wait for the runner thread. Shared with the callbacks, so a callback
  // that fires late never touches a finished run.
  struct Inbox {
    std::mutex mutex;
    std::condition_variable ready;
    std::vector<Completion> done;
  };
  // An item in flight or waiting to retry. It holds its slot (and budget reservation) until it
  // has an answer or has given up.
  struct Attempt {
    HttpRequest request;
    std::string key;
    int attempts = 0;
    double tokens = 0;     // estimated input + max output, taken from the tpm bucket
    double worst_usd = 0;  // reserved in the budget
    // False after a time-out: the timed-out attempt was charged its reservation (the provider
    // may have billed it), and a retry must reserve again before it is sent.
    bool reserved = true;
    SteadyClock::time_point sent_at;
    // The wall time of the last attempt that failed: a failed item's latency_ms, as an answered
    // item's is the time of the attempt that answered.
    double last_failed_ms = 0;
    // Kept by plan(): the body's first `body_shared` bytes are left out (they are
    // reference_body_'s) and put back when the request is sent.
    std::size_t body_shared = 0;
    bool replaces_cached = false;  // the cache holds an answer to it that could not be read
  };
  struct Due {
    SteadyClock::time_point at;
    std::size_t item;
    bool operator>(const Due& other) const { return at > other.at; }
  };

  void plan();
  void save_first_prompt() const;
  void loop();
  SteadyClock::time_point dispatch(SteadyClock::time_point now);
  bool start_next(SteadyClock::time_point now, SteadyClock::time_point& wake);
  void send(std::size_t item, SteadyClock::time_point now);
  void on_completion(Completion completion);
  void retry_or_fail(std::size_t item, const HttpResponse& response);
  void record_answer(std::size_t item, const ChatAnswer& answer, double latency_ms, bool cached,
                     std::size_t request_bytes);
  void release(std::size_t item, double used_tokens, double spent_usd);
  // Whether one more request stays within max_requests (always, without one).
  bool request_allowed() const;
  void count_failure(const std::string& why, int attempts);
  void count_unlabelled(const std::string& text, bool cached, std::size_t item);
  std::size_t in_a_row_limit() const;
  void forget_unlabelled();
  std::string spent_basis() const;
  void abort(std::string message);
  std::string failure_text(const HttpResponse& response) const;
  // The wall time of an attempt: the client's figure, else since it was sent.
  static double attempt_ms(const Attempt& a, const HttpResponse& response);
  // What a stopped run keeps for the next: said where the run stops or asks to be stopped.
  const char* answers_kept() const;
  // The request of `item`; what [privacy] replaced in it is added to `redacted` (null: not
  // counted, for a request built again).
  Attempt prepare(std::size_t item, RedactionCounts* redacted) const;
  void compact(Attempt& a);
  ProgressCounts counts() const;
  void finish();

  const LlmApproach& approach_;
  const Examples& items_;
  std::optional<Price> price_;
  const LlmRunOptions& options_;
  HttpClient& client_;
  std::ostream& log_;

  std::unique_ptr<CacheTurn> turn_;  // before the cache is read: see cache_turn.h
  std::unique_ptr<ResponseCache> cache_;
  RateLimiter limiter_;
  RetryPolicy retry_;
  SpendBudget budget_;
  ProgressMeter progress_;
  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();

  LlmRunResult result_;
  std::vector<bool> to_send_;                              // planned: not answered by the cache
  std::vector<std::size_t> order_;                         // the seeded order items are sent in
  std::size_t next_new_ = 0;                               // first position of order_ not started
  std::optional<std::pair<std::size_t, Attempt>> staged_;  // built, waiting for limits
  // Requests plan() built for items it could not answer from the cache, kept for send() up to
  // kPlannedBytes (bodies, headers and bookkeeping) so each is built (rendered, redacted) once;
  // the rest are built again when their turn comes, so memory stays bounded on any run. A body
  // is kept without the start it shares with the first planned body (the model, the system
  // message, a few-shot prompt's examples: most of it), so the budget holds many more of them.
  static constexpr std::size_t kPlannedBytes = std::size_t{32} << 20;
  std::unordered_map<std::size_t, Attempt> planned_;
  std::string reference_body_;
  std::unordered_map<std::size_t, Attempt> active_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> retry_queue_;
  std::size_t in_flight_ = 0, done_ = 0, answered_ = 0, correct_ = 0;
  // Answers from the endpoint this run, and those of them the response cache took.
  std::size_t answered_this_run_ = 0, cached_this_run_ = 0;
  RedactionCounts redacted_;     // summed over every item's request (answered from cache or not)
  bool stop_new_ = false;        // the budget is reached
  bool any_answer_ = false;      // the endpoint answered at least once
  bool said_long_wait_ = false;  // a long Retry-After wait was said
  // Items that failed after all their attempts since the last answer: an endpoint that stopped
  // answering mid-run ends the run (count_failure) instead of being tried for every item left.
  std::size_t failed_in_a_row_ = 0;
  std::size_t unlabelled_in_a_row_ = 0;  // answers naming no label, none that did between
  // The cache keys of those answers, fresh ones only: forgotten when they end the run, so that a
  // run again asks for them anew instead of replaying the answers that stopped it.
  std::vector<std::string> unlabelled_keys_;
  bool stopped_unlabelled_ = false;
  int64_t unpriced_answers_ = 0;    // answers without token usage: charged their worst case
  int64_t timed_out_attempts_ = 0;  // priced attempts that timed out: charged their worst case
  int64_t unreadable_answers_ = 0;  // priced 2xx answers that could not be read: the same
  int64_t cut_off_answers_ = 0;     // priced 2xx answers whose body was cut off: the same
  // The endpoint has answered this request shape: in this run, or in the run whose answers the
  // cache gave it.
  bool answered_before() const { return any_answer_ || result_.cache_hits > 0; }
  std::optional<std::string> abort_;
  SteadyClock::time_point started_;
};

}  // namespace tunecase
