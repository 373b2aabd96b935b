#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tunecase {

// What one candidate scored on the first `n` items of the dev order.
struct SampleScore {
  std::size_t n = 0;  // items answered (fewer than asked when the budget stopped the run)
  std::size_t correct = 0;
  // Mean priced cost of a call x 1000, over the answers that reported token usage; nullopt: the
  // price is unknown, or no answer reported usage.
  std::optional<double> usd_per_1k;
  std::size_t without_usage = 0;  // answers that reported no token usage: their cost is unknown
  // Items whose request failed (after its retries): counted wrong, and said, since a flaky
  // endpoint lowers a candidate's accuracy as a worse prompt does.
  std::size_t errors = 0;
  std::size_t charged_worst_case = 0;  // LlmRunResult::charged_worst_case of the evaluation
  double p95_ms = 0;
  double spent_usd = 0;      // new spend of this evaluation (cached answers cost nothing)
  std::size_t requests = 0;  // requests sent (cache hits excluded)
  // Cached answers this search had not counted yet (items beyond what earlier rounds of it
  // evaluated: paid by a killed run of the same search, or an earlier command), at their price:
  // the budget and max_calls count them as if sent, so that a resumed search makes the choices
  // an uninterrupted one makes and does not spend its budget twice.
  double prior_usd = 0;
  std::size_t prior_answers = 0;
  bool budget_stopped = false;  // the runner refused to spend more
};

// The search asks an evaluator for scores and never sees the data itself. Implementations must
// evaluate the first `n` items of ONE fixed dev order, so that each round's sample contains the
// previous one (answers already paid for come from the cache).
class CandidateEvaluator {
 public:
  virtual ~CandidateEvaluator() = default;
  virtual std::size_t dev_size() const = 0;
  // `budget_left_usd`: what the search may still spend (nullopt: no cap); `calls_left`: the
  // requests it may still send, retries included (max_calls; nullopt: no cap).
  virtual SampleScore evaluate(std::size_t candidate, std::size_t n,
                               std::optional<double> budget_left_usd,
                               std::optional<std::size_t> calls_left) = 0;
};

struct HalvingRules {
  std::size_t start_sample = 50;
  // The search's spend: new requests, and cached answers it had not counted (SampleScore).
  std::optional<double> budget_usd;
  // A cap on the whole run, the final scoring of the winner on `final_items` test items
  // included: a round starts only if what it and the dearest survivor's final step would cost
  // still fits (--max-cost).
  std::optional<double> total_cap_usd;
  std::size_t final_items = 0;
  std::optional<std::size_t> max_calls;
  // Without the response cache a round sends its whole sample again, not only the items the
  // last round's sample lacked: its calls and cost are counted so (--no-cache had run past
  // max_calls by the earlier rounds' items).
  bool resends_sample = false;
  std::optional<double> max_usd_per_1k, max_p95_ms;  // eligibility for the winner
  // Before any price is measured: one dev item of every candidate at its estimated cost,
  // summed, and the dearest candidate's, so that a cap that cannot pay for the first round
  // whole is known before the first request (a round is reserved at its worst case as it runs).
  std::optional<double> estimated_item_usd_all, estimated_item_usd_dearest;
  // Each candidate's item at its worst case (LlmCandidateEvaluator::worst_usd_per_item; empty:
  // unknown): the winner's test run, run whole or not at all under --max-cost, is checked at the
  // worst case, so the rounds reserve the dearest survivor's at that and not at its measured
  // price (a search had spent half the cap and then found the test run refused).
  std::vector<double> worst_item_usd;

  // The winner's test run as --max-cost reserves it before any price is measured: the dearest
  // candidate's estimated item, or the worst case of any, over `final_items`, and a margin:
  // the per-item figures are measured on a sample of dev prompts, and test texts a little
  // longer had left a search that spent up to its reserve with its test run refused by a
  // fraction of a cent.
  static constexpr double kReserveMargin = 1.05;
  double test_run_reserve() const {
    double worst = estimated_item_usd_dearest.value_or(0);
    for (double w : worst_item_usd) worst = std::max(worst, w);
    return worst * static_cast<double>(final_items) * kReserveMargin;
  }
};

struct RoundResult {
  std::size_t round = 0;
  SampleScore score;
};

struct CandidateOutcome {
  std::vector<RoundResult> rounds;  // one per round it took part in
  std::string status = "kept";      // winner | finalist | dropped | ineligible | unmeasured | kept
  std::optional<std::size_t> dropped_in_round;
  std::string reason;  // why it was dropped (or won)
  // What the winner and the finalists were ranked on: the largest sample all of them answered
  // whole (a budget that stops a round part-way leaves later samples partial).
  std::optional<SampleScore> judged;
  const SampleScore* last() const { return rounds.empty() ? nullptr : &rounds.back().score; }
  // The figures to show for it: what it was judged on, else its last round.
  const SampleScore* shown() const { return judged ? &*judged : last(); }
};

struct HalvingResult {
  std::vector<CandidateOutcome> candidates;  // aligned with the evaluator's candidates
  std::optional<std::size_t> winner;         // nullopt when no candidate met the limits
  std::string winner_rule;                   // the stated rule, for the report
  std::vector<std::size_t> sample_sizes;     // n of each round
  double spent_usd = 0;
  std::size_t requests = 0;
  // Cached answers counted toward budget_usd / max_calls (SampleScore::prior_usd), summed.
  double prior_usd = 0;
  std::size_t prior_answers = 0;
  bool budget_forced = false;  // the budget or call cap ended the search before the dev split
  std::string decided_by;      // what chose the winner: "data: ...", "dev split used up: ..."
                               // or "budget: ..."
  std::vector<std::string> notes;
};

// Successive halving: every candidate on the first `start_sample` dev items; rank by accuracy
// (ties: the cheaper $/1k, then the earlier candidate); keep the better half; double the sample;
// repeat. The last two are never halved: they meet on doubling samples until their intervals
// separate, the dev split is used up, or the budget / call cap would be passed by the next round
// (estimated from each survivor's measured $/1k). Candidates over max_usd_per_1k or max_p95_ms
// are dropped as ineligible. Every reason says what decided: the data ("worse:", its 95% Wilson
// upper bound below the leader's lower bound), the halving rule on overlapping intervals
// ("halving rule:"), the end of the dev split ("dev split used up, not separated") or the
// budget ("budget forced a choice").
HalvingResult successive_halving(CandidateEvaluator& evaluator, std::size_t candidates,
                                 const HalvingRules& rules);

// The most dev answers each candidate can be asked for in one search with no budget, call cap
// or early drop on the data: every round's survivors kept by the halving rule alone and the last
// two never separated, so that they meet the whole dev split. With the response cache a
// candidate pays once per item, its largest sample; without it (`cached` false) every round
// sends its whole sample again, the sum of its rounds' samples. Sorted largest first (one entry
// per candidate); which candidate gets which is the data's to decide, so the worst case pays
// these, largest first, at the candidates' costs per item, dearest first (answers already in
// the cache cost nothing, so a rerun costs less).
std::vector<std::size_t> worst_case_samples(std::size_t candidates, std::size_t start_sample,
                                            std::size_t dev_size, bool cached = true);

// The candidates not dominated in (higher dev accuracy, lower $/1k), each at its last round.
std::vector<std::size_t> pareto_set(const HalvingResult& result);

}  // namespace tunecase
