#include "tunecase/optimize/llm_evaluator.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>

#include "tunecase/evaluation/metrics.h"
#include "tunecase/stats/percentile.h"

namespace tunecase {

LlmCandidateEvaluator::LlmCandidateEvaluator(const std::vector<Candidate>& candidates,
                                             const ProjectConfig& config, const SearchData& data,
                                             LlmRunOptions options, HttpClient& client,
                                             std::ostream& log, std::ostream& runner_log)
    : candidates_(candidates),
      config_(config),
      data_(data),
      options_(std::move(options)),
      client_(client),
      log_(log),
      runner_log_(runner_log) {}

std::optional<double> LlmCandidateEvaluator::usd_per_item(std::size_t candidate,
                                                          std::size_t items) const {
  return tunecase::usd_per_item(candidates_.at(candidate).approach, config_, data_.train,
                                data_.labels, data_.dev_order, items);
}

std::optional<double> LlmCandidateEvaluator::worst_usd_per_item(std::size_t candidate,
                                                                std::size_t items) const {
  Examples sample(data_.dev_order.begin(),
                  data_.dev_order.begin() +
                      static_cast<std::ptrdiff_t>(std::min(items, data_.dev_order.size())));
  if (sample.empty()) return std::nullopt;
  std::optional<UncachedCost> worst = tunecase::uncached_usd(
      candidates_.at(candidate).approach, config_, data_.train, data_.labels, sample, {});
  if (!worst) return std::nullopt;
  return worst->usd / static_cast<double>(sample.size());
}

std::optional<UncachedCost> LlmCandidateEvaluator::uncached_dev_usd(
    std::size_t candidate, const std::filesystem::path& cache_file) const {
  return tunecase::uncached_usd(candidates_.at(candidate).approach, config_, data_.train,
                                data_.labels, data_.dev_order, cache_file);
}

SampleScore score_run(const LlmRunResult& run, const Examples& items) {
  SampleScore s;
  std::vector<double> latencies;
  double cost = 0;
  std::size_t priced = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Prediction& p = run.predictions[i];
    if (was_not_run(p)) continue;
    ++s.n;
    s.correct += p.label == items[i].label;
    latencies.push_back(p.latency_ms);
    if (p.error) {
      ++s.errors;
      continue;
    }
    if (p.cost_usd) {
      cost += *p.cost_usd;
      ++priced;
    } else if (run.price_known) {
      ++s.without_usage;
    }
  }
  // Over the answers whose cost is known, as eval prices an approach: a few answers without
  // usage had made the whole candidate "price unknown", and a tie went to a dearer one.
  if (run.price_known && priced > 0) s.usd_per_1k = cost / static_cast<double>(priced) * 1000;
  double p95 = percentile_nearest_rank(latencies, 95);
  s.p95_ms = std::isnan(p95) ? 0 : p95;
  s.spent_usd = run.spent_usd;
  s.charged_worst_case = run.charged_worst_case;
  s.requests = run.requests_sent;
  s.budget_stopped = run.stopped_by_budget;
  return s;
}

SampleScore LlmCandidateEvaluator::evaluate(std::size_t candidate, std::size_t n,
                                            std::optional<double> budget_left_usd,
                                            std::optional<std::size_t> calls_left) {
  const Candidate& c = candidates_.at(candidate);
  Examples items(data_.dev_order.begin(), data_.dev_order.begin() + static_cast<std::ptrdiff_t>(n));
  LlmRunOptions run = options_;
  run.max_cost_usd = budget_left_usd;
  run.max_requests = calls_left;
  run.progress = false;
  if (counted_.size() < candidates_.size()) counted_.resize(candidates_.size(), 0);
  if (counts_prior_) run.cap_counts_cached_from = counted_[candidate];
  if (gate_ != nullptr) gate_->prepare(run);
  LlmRunResult result = run_llm_approach(c.approach, config_, data_.train, items, data_.labels, run,
                                         client_, runner_log_);
  if (gate_ != nullptr) gate_->add_spent(result.spent_usd);
  simulated_ = simulated_ || result.simulated;
  SampleScore s = score_run(result, items);
  s.prior_usd = result.cached_counted_usd;
  s.prior_answers = result.cached_counted;
  counted_[candidate] = std::max(counted_[candidate], n);
  if (s.n == 0)
    fmt::print(log_, "  {:<60} n=0     not measured: {} ended before its first item\n", c.name,
               budget_left_usd && calls_left ? "the budget or the call cap (max_calls)"
               : calls_left                  ? "the call cap (max_calls)"
                                             : "the budget");
  else
    fmt::print(log_, "  {:<60} n={:<5} acc={:.3f}{} {} sent={} ${:.4f}\n", c.name, s.n,
               static_cast<double>(s.correct) / static_cast<double>(s.n),
               s.errors ? fmt::format(" ({} requests failed, counted wrong)", s.errors) : "",
               s.usd_per_1k      ? fmt::format("${:.4f}/1k{}", *s.usd_per_1k,
                                          s.without_usage ? fmt::format(" (over the answers "
                                                                                  "with usage; {} without)",
                                                                             s.without_usage)
                                                               : "")
               : s.without_usage ? "cost unknown (no answer reported token usage)"
                                 : "price unknown",
               s.requests, s.spent_usd);
  return s;
}

}  // namespace tunecase
