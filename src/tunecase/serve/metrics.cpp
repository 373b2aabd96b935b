#include "tunecase/serve/metrics.h"

#include <fmt/format.h>

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

void Metrics::observe(const PredictionRecord& r) {
  std::lock_guard lock(mutex_);
  Series& s = series_[{r.approach, std::string(arm_name(r.arm))}];
  ++s.requests;
  if (r.error) ++s.errors;
  if (r.fallback) ++s.fallbacks;
  if (r.abstained) ++s.abstained;
  double seconds = r.latency_ms / 1000.0;
  std::size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  ++s.buckets[i];
  s.latency_sum_s += seconds;
  if (!r.error && !cold_start_ms_.count(r.approach)) {
    cold_start_ms_[r.approach] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
            .count();
  }
}

void Metrics::refused() {
  std::lock_guard lock(mutex_);
  ++refused_;
}

void Metrics::client_error() {
  std::lock_guard lock(mutex_);
  ++client_errors_;
}

std::optional<double> Metrics::cold_start_ms(const std::string& approach) const {
  std::lock_guard lock(mutex_);
  auto it = cold_start_ms_.find(approach);
  if (it == cold_start_ms_.end()) return std::nullopt;
  return it->second;
}

std::string Metrics::render(const std::vector<ArmFigures>& arms) const {
  std::lock_guard lock(mutex_);
  std::string out;
  header(out, "tunecase_requests_total", "counter", "Predictions logged by this replica.");
  for (const auto& [key, s] : series_)
    out += fmt::format("tunecase_requests_total{{{}}} {}\n", labels_of(key.first, key.second),
                       s.requests);
  header(out, "tunecase_errors_total", "counter", "Predictions that failed (error or time-out).");
  for (const auto& [key, s] : series_)
    out +=
        fmt::format("tunecase_errors_total{{{}}} {}\n", labels_of(key.first, key.second), s.errors);
  header(out, "tunecase_fallbacks_total", "counter",
         "Challenger failures answered by the champion.");
  for (const auto& [key, s] : series_)
    out += fmt::format("tunecase_fallbacks_total{{{}}} {}\n", labels_of(key.first, key.second),
                       s.fallbacks);
  header(out, "tunecase_abstentions_total", "counter", "Answers of \"needs a human\".");
  for (const auto& [key, s] : series_)
    out += fmt::format("tunecase_abstentions_total{{{}}} {}\n", labels_of(key.first, key.second),
                       s.abstained);
  header(out, "tunecase_latency_seconds", "histogram", "End-to-end latency of predictions.");
  for (const auto& [key, s] : series_) {
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
  header(out, "tunecase_labelled_total", "gauge", "Predictions with ground truth (all replicas).");
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
  out += fmt::format("tunecase_refused_total {}\n", refused_);
  header(out, "tunecase_client_errors_total", "counter", "Requests answered 4xx.");
  out += fmt::format("tunecase_client_errors_total {}\n", client_errors_);
  return out;
}

}  // namespace tunecase::serve
