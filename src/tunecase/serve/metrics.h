#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tunecase/store/queries.h"
#include "tunecase/store/records.h"

namespace tunecase::serve {

// One LLM approach's calls to its endpoint since the gateway started (LlmCallStats): every
// attempt sent, retries included, which a provider may bill even when the call then failed.
struct UpstreamCounts {
  std::string approach;
  int64_t sent = 0, retries = 0;
};

// What the HTTP server answered by itself, before a route saw the request (its ServerStats'
// counts): Metrics::render adds them to the same totals as the routes' own 4xx and 503s.
struct ServerRejections {
  uint64_t client_errors = 0;  // 413, 431 and malformed requests (400)
  uint64_t refused = 0;        // 503: over the in-flight limit, or while stopping
};

// The prediction log's state at scrape time (PredictionLog::Stats).
struct LogGauges {
  std::size_t queued = 0;
  int64_t committed = 0;
  int64_t not_stored = 0;      // answered and never stored (the store failed)
  int64_t failed_commits = 0;  // commits the store refused (their records kept and retried)
  bool store_failing = false;
  // The store's figures (labelled, accuracy) are an earlier scrape's: the read for this one is
  // still waiting on the store (a hung server), and this scrape did not wait with it.
  bool store_figures_stale = false;
};

// The gateway's own counters since it started (this replica only), for GET /metrics, plus the
// cold start of each approach (serve start to its first answer). Labelled items and accuracy come
// from the store at scrape time, so they cover every replica. Nothing secret is ever recorded
// here: no texts, no keys. Thread-safe.
class Metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in seconds (Prometheus convention).
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  Metrics();
  void observe(const PredictionRecord& record);  // one prediction made
  void refused();                                // a request answered 503 (overload)
  void client_error();                           // a request answered 4xx
  // A feedback the store did not confirm (answered 503), or confirmed. One refused while the
  // log's commits go through (a damaged page only feedback reaches) makes the store failing for
  // feedback: health says degraded until a later one is stored, or for a minute after the last
  // refusal. During an outage the log's own failure says it already.
  void feedback_failed(const std::string& error, bool log_failing);
  void feedback_stored();
  // The error of the last feedback the store refused, while it says so (above).
  std::optional<std::string> feedback_failing() const;

  // Milliseconds from construction to the approach's first answer; none before it answered.
  std::optional<double> cold_start_ms(const std::string& approach) const;

  // Prometheus text exposition format (version 0.0.4). `arms` adds the store's labelled counts
  // and accuracy per approach and arm.
  std::string render(const std::vector<ArmFigures>& arms, const ServerRejections& server = {},
                     const LogGauges& log = {},
                     const std::vector<UpstreamCounts>& upstream = {}) const;

 private:
  struct Series {
    int64_t requests = 0, errors = 0, fallbacks = 0, abstained = 0;
    std::array<int64_t, kBuckets.size() + 1> buckets{};  // the last is +Inf
    double latency_sum_s = 0;
  };
  using SeriesMap = std::map<std::pair<std::string, std::string>, Series>;  // (approach, arm)
  // The series are kept in shards, each thread keeping to one: the gateway's event loops each
  // count in their own and do not wait for each other's lock. render() adds them up.
  static constexpr std::size_t kShards = 8;
  struct Shard {
    std::mutex mutex;
    SeriesMap series;
    std::vector<std::string> answered;  // approaches whose first answer this shard has seen
  };
  static std::size_t shard_of_this_thread();

  mutable std::array<Shard, kShards> shards_;
  mutable std::mutex mutex_;  // guards the members below
  std::chrono::steady_clock::time_point start_;
  std::map<std::string, double> cold_start_ms_;
  int64_t refused_ = 0, client_errors_ = 0, feedback_failed_ = 0;
  std::optional<std::string> feedback_failing_;
  std::chrono::steady_clock::time_point feedback_failed_at_{};
};

}  // namespace tunecase::serve
