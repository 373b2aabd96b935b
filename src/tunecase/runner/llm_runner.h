#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/approaches/classifier.h"
#include "tunecase/config/config.h"
#include "tunecase/data/example.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/llm_approach.h"
#include "tunecase/llm/prices.h"

namespace tunecase {

// A run estimated above this is asked about (without --yes); so is a command made of many runs
// once its spend would pass it (CommandSpendGate).
inline constexpr double kConfirmAboveUsd = 1.0;

// The file under OUT/prompts/ that a run writes its first prompt to: the approach's name with
// characters a file name should not hold as '_', then ".txt".
std::string prompt_file_name(const std::string& approach_name);

// Files under OUT/prompts/ that no approach of `approach_names` writes (a renamed or removed
// approach's, an earlier search's candidates'): left as they are, since they may be the user's,
// but named on `log`, so nobody takes them for this run's.
void note_other_prompts(const std::filesystem::path& out_dir,
                        const std::vector<std::string>& approach_names, std::ostream& log);

struct LlmRunOptions {
  int concurrency = 8;                 // requests in flight
  std::optional<double> max_cost_usd;  // stop before the new spend of this run would pass it
  // Stop before this run's requests (retries included) and its counted cached answers
  // (cap_counts_cached_from) would pass it: optimize's max_calls. An item it stops ends as the
  // budget's do ("not run" / "not retried"), and the run counts as stopped_by_budget.
  std::optional<std::size_t> max_requests;
  // With max_cost_usd: a run whose items to send, each at its worst case, could pass the cap is
  // not started (SpendNotConfirmed, nothing sent) instead of stopping part-way; for a run whose
  // figures on part of its items would be read as the whole's (optimize's final test run).
  bool whole_or_nothing = false;
  // Cached answers of the items from this index on count toward max_cost_usd at their price, as
  // if sent: a search's budget covers answers an earlier, killed run of the same search paid for,
  // so a resumed search stops where an uninterrupted one would (optimize). Default: none count.
  std::size_t cap_counts_cached_from = std::numeric_limits<std::size_t>::max();
  bool assume_yes = false;                      // --yes: never ask
  double confirm_above_usd = kConfirmAboveUsd;  // ask before a run estimated above this
  std::filesystem::path cache_file;             // SQLite response cache; "" = no cache
  std::filesystem::path out_dir;  // the first item's prompt -> out_dir/prompts/<name>.txt
  int max_attempts = 5;           // per item, then the item is recorded as an error
  std::chrono::milliseconds timeout{60000};  // per request
  bool progress = true;
  // Asks the user a yes/no question; null = stdin y/N when it is a terminal, else refuse.
  std::function<bool(const std::string& question)> confirm;
  // Back-off before retry n: uniform in [0, min(retry_max_delay, retry_base_delay * 2^(n-1))],
  // never shorter than the server's Retry-After.
  std::chrono::milliseconds retry_base_delay{500};
  std::chrono::milliseconds retry_max_delay{30000};
  uint64_t jitter_seed = 1;  // back-off jitter, fixed for reproducible runs
  // Items are sent in an order shuffled by this seed ([data] seed), never in file order: a run
  // the budget stops has then scored a uniform random sample of the items (its interval is
  // honest), and two runs with the same seed stop on nested samples. Results stay aligned with
  // the items whatever the order.
  uint64_t order_seed = 7;
};

// One spend confirmation for a command made of many runs (optimize's candidates, curve's sizes
// and seeds): a run asks once the command's spend so far plus its own estimate passes
// `threshold_usd` (the runner's per-run threshold alone let twenty $0.10 runs through unasked),
// and a yes covers the rest of the command. prepare() sets a run's options; add_spent() takes
// what it spent.
class CommandSpendGate {
 public:
  CommandSpendGate(double threshold_usd, bool assume_yes,
                   std::function<bool(const std::string&)> confirm, std::ostream& log)
      : threshold_(threshold_usd), yes_(assume_yes), confirm_(std::move(confirm)), log_(log) {}
  void prepare(LlmRunOptions& run);
  void add_spent(double usd) { spent_ += usd; }
  // A run's answers: those from the response cache (paid by an earlier run) and those sent.
  void add_answers(std::size_t cached, std::size_t sent) {
    cached_ += cached;
    sent_ += sent;
  }
  std::size_t cached() const { return cached_; }
  std::size_t sent() const { return sent_; }
  // The user confirmed the whole command's estimate: runs are asked about only once the spend
  // so far plus their own estimate passes it (the estimate was short).
  void authorise(double total_usd) {
    threshold_ = std::max(threshold_, total_usd);
    authorised_ = true;
  }
  double spent() const { return spent_; }

 private:
  double threshold_, spent_ = 0;
  std::size_t cached_ = 0, sent_ = 0;
  bool yes_, authorised_ = false;
  std::function<bool(const std::string&)> confirm_;
  std::ostream& log_;
};

// What one item may cost `approach` (its prompt's tokens estimated as eval estimates them, the
// answer at max_tokens, its price), averaged over the first `sample` of `items`, before anything
// is sent;
// nullopt when the model has no price. `train` is what its prompts draw examples from.
std::optional<double> usd_per_item(const ApproachConfig& approach, const ProjectConfig& project,
                                   const Examples& train, const std::vector<std::string>& labels,
                                   const Examples& items, std::size_t sample);

// What sending every one of `items` to `approach` may cost at most, the answers already in the
// response cache left out (`cache_file`; empty or missing: none cached): each other item at its
// worst case, and how many were cached. A bound for a rerun, where most answers are cached;
// nullopt without a price.
struct UncachedCost {
  double usd = 0;
  std::size_t cached = 0;  // of the items, answered in the cache already
};
std::optional<UncachedCost> uncached_usd(const ApproachConfig& approach,
                                         const ProjectConfig& project, const Examples& train,
                                         const std::vector<std::string>& labels,
                                         const Examples& items,
                                         const std::filesystem::path& cache_file);

// A command of many runs (optimize, curve) that has estimated its whole spend before its first
// request (`total_usd`, printed by the caller): without --yes (`assume_yes`) or a cap that
// bounds it (`capped`: a cap is consent up to it), a total above the confirmation threshold is
// asked about once, and a yes covers it (gate.authorise); refused, SpendNotConfirmed names the
// command and says nothing was sent.
void confirm_command_estimate(const std::string& command, double total_usd, bool assume_yes,
                              bool capped, CommandSpendGate& gate,
                              const std::function<bool(const std::string&)>& confirm,
                              std::ostream& log);

struct LlmRunResult {
  // Aligned with the items. Items never sent, and the cache's answers after the first of them in
  // the seeded order, have error "not run: budget reached" (the scored items are a prefix of a
  // seeded random order, see order_seed); items whose attempts all failed have the last failure
  // as error. No item is ever missing.
  std::vector<Prediction> predictions;
  std::size_t evaluated = 0;  // items with an answer (from the cache or the network)
  std::size_t cache_hits = 0, requests_sent = 0, retries = 0, errors = 0, invalid = 0;
  bool stopped_by_budget = false;
  // Answers the cache held for items after the first the budget stopped: left out (not run),
  // so that the scored items stay a prefix of the seeded order.
  std::size_t cached_left_out = 0;
  // Answers and attempts charged their worst case because their cost could not be measured (no
  // usage reported, timed out, unreadable, cut off): spent_usd counts them as if spent.
  std::size_t charged_worst_case = 0;
  double spent_usd = 0;  // measured new spend of this run (cache hits cost nothing)
  // The price of the cached answers counted toward the cap (cap_counts_cached_from), and how many.
  double cached_counted_usd = 0;
  std::size_t cached_counted = 0;
  std::optional<double> estimate_usd;  // printed before the run; nullopt without a price
  bool simulated = false;              // answers came from `tunecase sim-llm`
  bool price_known = true;
  std::vector<std::string> invalid_samples;  // a few raw answers that mapped to no label
  nlohmann::json summary;                    // all of the above, for eval.json and reports
};

// Evaluates one LLM approach (kind openai / anthropic) on `items`: builds the provider
// (make_provider) and the prompt builder (from `train` only), prices it from the approach's
// `price` or the catalogue (`prices` param, else the default catalogue), then runs as below.
// Throws UserError for configuration problems, an unconfirmed run, an API that rejects the key,
// or an endpoint never reached.
LlmRunResult run_llm_approach(const ApproachConfig& approach, const ProjectConfig& project,
                              const Examples& train, const Examples& items,
                              const std::vector<std::string>& labels, const LlmRunOptions& options,
                              HttpClient& client, std::ostream& log);

// The run itself, for a ready approach and price: cache look-ups and the estimate first (printed,
// confirmed when above the threshold or when the price is unknown), then up to `concurrency`
// requests in flight under the approach's rpm / tpm limits, retries with back-off and Retry-After,
// every answer committed to the cache as it arrives, the budget checked before each request.
LlmRunResult run_llm_approach(const LlmApproach& approach, const Examples& items,
                              const std::optional<Price>& price, const LlmRunOptions& options,
                              HttpClient& client, std::ostream& log);

}  // namespace tunecase
