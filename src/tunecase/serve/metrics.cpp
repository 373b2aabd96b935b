#include "tunecase/serve/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

namespace tunecase::serve {
namespace {

// Label values are approach names from the config: escape what the format reserves.
std::string escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string labels_of(const std::string& approach, const std::string& arm) {
  return fmt::format("approach=\"{}\",arm=\"{}\"", escape(approach), escape(arm));
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

Metrics::Metrics() : start_(std::chrono::steady_clock::now()) {}

std::size_t Metrics::shard_of_this_thread() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t mine = next.fetch_add(1) % kShards;
  return mine;
}

void Metrics::observe(const PredictionRecord& r) {
  const auto now = std::chrono::steady_clock::now();
  Shard& shard = shards_[shard_of_this_thread()];
  bool first_here = false;
  {
    std::lock_guard lock(shard.mutex);
    Series& s = shard.series[{r.approach, std::string(arm_name(r.arm))}];
    ++s.requests;
    if (r.error) ++s.errors;
    if (r.fallback) ++s.fallbacks;
    if (r.abstained) ++s.abstained;
    double seconds = r.latency_ms / 1000.0;
    std::size_t i = 0;
    while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
    ++s.buckets[i];
    s.latency_sum_s += seconds;
    if (!r.error && std::find(shard.answered.begin(), shard.answered.end(), r.approach) ==
                        shard.answered.end()) {
      shard.answered.push_back(r.approach);
      first_here = true;
    }
  }
  if (!first_here) return;
  std::lock_guard lock(mutex_);
  if (!cold_start_ms_.count(r.approach))
    cold_start_ms_[r.approach] = std::chrono::duration<double, std::milli>(now - start_).count();
}

void Metrics::refused() {
  std::lock_guard lock(mutex_);
  ++refused_;
}

void Metrics::client_error() {
  std::lock_guard lock(mutex_);
  ++client_errors_;
}

void Metrics::feedback_failed(const std::string& error, bool log_failing) {
  std::lock_guard lock(mutex_);
  ++feedback_failed_;
  if (log_failing) return;
  feedback_failing_ = error;
  feedback_failed_at_ = std::chrono::steady_clock::now();
}

void Metrics::feedback_stored() {
  std::lock_guard lock(mutex_);
  feedback_failing_.reset();
}

std::optional<std::string> Metrics::feedback_failing() const {
  std::lock_guard lock(mutex_);
  if (std::chrono::steady_clock::now() - feedback_failed_at_ > std::chrono::minutes(1))
    return std::nullopt;
  return feedback_failing_;
}

std::optional<double> Metrics::cold_start_ms(const std::string& approach) const {
  std::lock_guard lock(mutex_);
  auto it = cold_start_ms_.find(approach);
  if (it == cold_start_ms_.end()) return std::nullopt;
  return it->second;
}

std::string Metrics::render(const std::vector<ArmFigures>& arms, const ServerRejections& server,
                            const LogGauges& log,
                            const std::vector<UpstreamCounts>& upstream) const {
  SeriesMap series;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& [key, part] : shard.series) {
      Series& s = series[key];
      s.requests += part.requests;
      s.errors += part.errors;
      s.fallbacks += part.fallbacks;
      s.abstained += part.abstained;
      for (std::size_t i = 0; i < s.buckets.size(); ++i) s.buckets[i] += part.buckets[i];
      s.latency_sum_s += part.latency_sum_s;
    }
  }
  std::lock_guard lock(mutex_);
  std::string out;
  header(out, "tunecase_requests_total", "counter", "Predictions made by this replica.");
  for (const auto& [key, s] : series)
    out += fmt::format("tunecase_requests_total{{{}}} {}\n", labels_of(key.first, key.second),
                       s.requests);
  header(out, "tunecase_errors_total", "counter", "Predictions that failed (error or time-out).");
  for (const auto& [key, s] : series)
    out +=
        fmt::format("tunecase_errors_total{{{}}} {}\n", labels_of(key.first, key.second), s.errors);
  header(out, "tunecase_fallbacks_total", "counter",
         "Challenger failures answered by the champion.");
  for (const auto& [key, s] : series)
    out += fmt::format("tunecase_fallbacks_total{{{}}} {}\n", labels_of(key.first, key.second),
                       s.fallbacks);
  header(out, "tunecase_abstentions_total", "counter", "Answers of \"needs a human\".");
  for (const auto& [key, s] : series)
    out += fmt::format("tunecase_abstentions_total{{{}}} {}\n", labels_of(key.first, key.second),
                       s.abstained);
  header(out, "tunecase_latency_seconds", "histogram", "End-to-end latency of predictions.");
  for (const auto& [key, s] : series) {
    std::string l = labels_of(key.first, key.second);
    int64_t cumulative = 0;
    for (std::size_t i = 0; i <= kBuckets.size(); ++i) {
      cumulative += s.buckets[i];
      std::string le = i < kBuckets.size() ? fmt::format("{}", kBuckets[i]) : "+Inf";
      out += fmt::format("tunecase_latency_seconds_bucket{{{},le=\"{}\"}} {}\n", l, le, cumulative);
    }
    out += fmt::format("tunecase_latency_seconds_sum{{{}}} {}\n", l, s.latency_sum_s);
    out += fmt::format("tunecase_latency_seconds_count{{{}}} {}\n", l, cumulative);
  }
  // A count that only grows (purging old data aside): a counter, as its _total says.
  header(out, "tunecase_labelled_total", "counter",
         "Predictions with ground truth, in the store (all replicas).");
  for (const auto& a : arms)
    out += fmt::format("tunecase_labelled_total{{{}}} {}\n",
                       labels_of(a.approach, std::string(arm_name(a.arm))), a.labelled);
  header(out, "tunecase_accuracy", "gauge", "Accuracy on labelled predictions (all replicas).");
  for (const auto& a : arms) {
    if (a.labelled == 0) continue;
    out += fmt::format("tunecase_accuracy{{{}}} {}\n",
                       labels_of(a.approach, std::string(arm_name(a.arm))),
                       double(a.correct) / double(a.labelled));
  }
  header(out, "tunecase_refused_total", "counter", "Requests answered 503 (overload).");
  out += fmt::format("tunecase_refused_total {}\n", uint64_t(refused_) + server.refused);
  header(out, "tunecase_client_errors_total", "counter", "Requests answered 4xx.");
  out += fmt::format("tunecase_client_errors_total {}\n",
                     uint64_t(client_errors_) + server.client_errors);
  header(out, "tunecase_feedback_failed_total", "counter",
         "Feedback the store did not confirm (answered 503: send it again).");
  out += fmt::format("tunecase_feedback_failed_total {}\n", feedback_failed_);
  header(out, "tunecase_feedback_failing", "gauge",
         "Whether feedback fails while the log's commits do not (1: /healthz says degraded).");
  out += fmt::format("tunecase_feedback_failing {}\n",
                     feedback_failing_ && std::chrono::steady_clock::now() - feedback_failed_at_ <=
                                              std::chrono::minutes(1)
                         ? 1
                         : 0);
  header(out, "tunecase_log_queued", "gauge",
         "Predictions answered and waiting in the log's queue for the store.");
  out += fmt::format("tunecase_log_queued {}\n", log.queued);
  header(out, "tunecase_log_committed_total", "counter", "Predictions stored by this replica.");
  out += fmt::format("tunecase_log_committed_total {}\n", log.committed);
  header(out, "tunecase_log_not_stored_total", "counter",
         "Predictions answered and never stored (the store failed with the queue full, or at "
         "stop).");
  out += fmt::format("tunecase_log_not_stored_total {}\n", log.not_stored);
  header(out, "tunecase_store_failed_commits_total", "counter",
         "Commits the store refused (their predictions kept and tried again).");
  out += fmt::format("tunecase_store_failed_commits_total {}\n", log.failed_commits);
  header(out, "tunecase_store_failing", "gauge",
         "1 while the store refuses commits (since the last failure, none succeeded).");
  out += fmt::format("tunecase_store_failing {}\n", log.store_failing ? 1 : 0);
  header(out, "tunecase_store_figures_stale", "gauge",
         "1 when the labelled and accuracy figures are an earlier scrape's: the store has not "
         "answered the read started for a scrape before this one.");
  out += fmt::format("tunecase_store_figures_stale {}\n", log.store_figures_stale ? 1 : 0);
  if (!upstream.empty()) {
    header(out, "tunecase_upstream_requests_total", "counter",
           "Requests made to an LLM approach's endpoint, every attempt (a provider may bill a "
           "retried or timed-out attempt too; a refused connection is counted, not billed).");
    for (const auto& u : upstream)
      out += fmt::format("tunecase_upstream_requests_total{{approach=\"{}\"}} {}\n",
                         escape(u.approach), u.sent);
    header(out, "tunecase_upstream_retries_total", "counter",
           "Of those, attempts that retried an earlier one (429, 5xx, time-out, network).");
    for (const auto& u : upstream)
      out += fmt::format("tunecase_upstream_retries_total{{approach=\"{}\"}} {}\n",
                         escape(u.approach), u.retries);
  }
  return out;
}

}  // namespace tunecase::serve
