#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <vector>

#include "tunecase/config/config.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/optimize/halving.h"
#include "tunecase/optimize/search_data.h"
#include "tunecase/optimize/search_space.h"
#include "tunecase/runner/llm_runner.h"

namespace tunecase {

// Scores candidates on dev samples through the runner, so the response cache, rate limits,
// retries and budget apply; with one cache file for the search, a larger round pays only for
// its new items and a rerun after a kill pays for nothing already answered.
class LlmCandidateEvaluator : public CandidateEvaluator {
 public:
  // `log` gets one line per evaluation; the runner's own messages go to `runner_log`.
  LlmCandidateEvaluator(const std::vector<Candidate>& candidates, const ProjectConfig& config,
                        const SearchData& data, LlmRunOptions options, HttpClient& client,
                        std::ostream& log, std::ostream& runner_log);

  std::size_t dev_size() const override { return data_.dev_order.size(); }
  SampleScore evaluate(std::size_t candidate, std::size_t n, std::optional<double> budget_left_usd,
                       std::optional<std::size_t> calls_left) override;
  bool simulated() const { return simulated_; }
  // What one dev item may cost `candidate` at most (its prompt's tokens estimated, the answer at
  // max_tokens, the approach's price), averaged over the first `items` of the dev order, before
  // anything is sent; nullopt when the model has no price.
  std::optional<double> usd_per_item(std::size_t candidate, std::size_t items) const;
  // The same at each request's worst case (half its bytes as input tokens, max_tokens out), as a
  // capped run reserves it: what the winner's test run must find left under --max-cost.
  std::optional<double> worst_usd_per_item(std::size_t candidate, std::size_t items) const;
  // What `candidate` may cost on the whole dev order at most, its answers in `cache_file` left
  // out (tunecase::uncached_usd); nullopt without a price.
  std::optional<UncachedCost> uncached_dev_usd(std::size_t candidate,
                                               const std::filesystem::path& cache_file) const;
  // The command's one spend confirmation, shared with the test run (null: each run asks alone).
  void set_spend_gate(CommandSpendGate* gate) { gate_ = gate; }
  // Under budget_usd or max_calls: cached answers the search had not counted are counted as if
  // sent (SampleScore::prior_usd), in the runner's cap too. Without them nothing counts them.
  void set_counts_prior(bool counts) { counts_prior_ = counts; }

 private:
  CommandSpendGate* gate_ = nullptr;
  const std::vector<Candidate>& candidates_;
  const ProjectConfig& config_;
  const SearchData& data_;
  LlmRunOptions options_;
  HttpClient& client_;
  std::ostream& log_;
  std::ostream& runner_log_;
  bool simulated_ = false;
  // Per candidate, the dev items the search has counted so far (its largest sample): cached
  // answers beyond them were paid outside this search's count and are counted as prior spend.
  std::vector<std::size_t> counted_;
  bool counts_prior_ = false;
};

// Figures of a finished run over `items`: correct, $/1k (mean priced cost of a call, cache hits
// included), p95 latency (nearest rank), spend and requests of this run.
SampleScore score_run(const LlmRunResult& run, const Examples& items);

}  // namespace tunecase
