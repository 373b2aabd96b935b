#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/data/example.h"
#include "tunecase/monitor/alert_rules.h"
#include "tunecase/stats/mcnemar.h"
#include "tunecase/store/store.h"

namespace tunecase {
class HttpClient;
}

// `tunecase monitor --canary FILE` (docs/operate.md, "Provider drift"): hosted models change under
// the same name. A small fixed labelled set is sent to each LLM approach at most once a day; its
// answers are compared with the first run's (the baseline, kept in the store): answers that
// flipped, the accuracy change and McNemar's exact test on the two runs' correctness. A
// significant drop, or too many flipped answers, opens a `provider_drift` alert.
namespace tunecase::monitor {

inline constexpr const char* kProviderDrift = "provider_drift";

struct CanaryOptions {
  int64_t now_ms = 0;
  double min_hours = 20;     // a run this soon after the previous one is skipped
  double flip_alert = 0.10;  // share of flipped answers that alerts on its own
  double alpha = 0.05;       // McNemar significance for an accuracy drop
  bool force = false;        // run even when the previous run is recent
  int attempts = 4;          // tries per item on 429, 5xx and transport errors
  std::function<void(std::chrono::milliseconds)> sleep;  // between tries (tests: none)
  // The spend, as every command that calls an API: the whole canary's estimate (output at
  // max_tokens, an upper bound) is asked about above $1 or at an unknown price, unless
  // assume_yes; a max_cost_usd is consent up to it and refuses an estimate above it.
  bool assume_yes = false;
  std::optional<double> max_cost_usd;
  std::function<bool(const std::string&)> confirm;  // null: stdin when a terminal, else no
  std::ostream* log = nullptr;                      // the estimate and the question
};

struct CanaryResult {
  std::string approach;
  std::string model;
  bool ran = false;
  bool baseline_run = false;  // this run became the baseline (first run, or the set changed)
  std::string note;           // why it did not run, or what happened to the baseline
  int64_t items = 0, errors = 0;
  int64_t right = 0, baseline_right = 0;
  int64_t flips = 0;      // items answered differently from the baseline
  McNemarResult mcnemar;  // a = this run, b = the baseline
  int64_t baseline_at_ms = 0;
  bool simulated = false;
  int64_t tokens_in = 0, tokens_out = 0;  // as the API reported them
  // Measured from those, plus the worst case of each call billed at a cost the API did not
  // report (no usage, a 2xx body cut off, a timed-out attempt); none without a price.
  std::optional<double> spent_usd;
  std::string spent_basis;          // "measured", or "measured, plus the worst case of ..."
  int64_t calls_at_worst_case = 0;  // of those: calls billed at a cost the API did not report
  Finding finding;                  // kind provider_drift: firing, clear, or unknown (not compared)
};

// Runs the canary for every LLM approach of `config` (their prompts built from `train` and
// `labels`, as the gateway builds them). The baseline and the last run of each approach live in
// the store's meta ("canary.<approach>.baseline", "canary.<approach>.last"); only answers and
// the set's fingerprint are kept, never texts.
std::vector<CanaryResult> run_canary(const ProjectConfig& config, Store& store,
                                     const Examples& canary, const Examples& train,
                                     const std::vector<std::string>& labels, HttpClient& http,
                                     const CanaryOptions& options);

nlohmann::json canary_json(const std::vector<CanaryResult>& results);
std::string canary_markdown(const std::vector<CanaryResult>& results);

}  // namespace tunecase::monitor
