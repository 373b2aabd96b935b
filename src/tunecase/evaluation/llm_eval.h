#pragma once

#include <optional>
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/approaches/classifier.h"
#include "tunecase/config/config.h"
#include "tunecase/data/example.h"
#include "tunecase/evaluation/eval_run.h"
#include "tunecase/runner/llm_runner.h"

namespace tunecase {

struct LlmEvalRun {
  std::vector<Prediction> predictions;       // aligned with the test split
  bool simulated = false;                    // answers came from the offline stand-in
  nlohmann::json summary;                    // runner figures: requests, cache hits, retries, spend
  double spent_usd = 0;                      // new spend of this run (cache hits cost nothing)
  bool stopped_by_budget = false;            // --max-cost was reached; unrun items are not scored
  std::vector<std::string> invalid_samples;  // raw answers that mapped to no label
};

// Runs an API approach (openai / anthropic kind) over the test split through the runner: cache,
// rate limits, retries and the budget apply. Items are sent in an order shuffled by [data] seed,
// so a run the budget stops has scored a random sample. Only `train` examples reach a prompt.
// `budget_left_usd` is what --max-cost leaves after the approaches already run; `spend` asks
// before a run once the command's spend would pass its threshold.
LlmEvalRun run_llm_eval(const ApproachConfig& approach, const ProjectConfig& config,
                        const Examples& train, const Examples& test,
                        const std::vector<std::string>& labels, const EvalOptions& options,
                        std::optional<double> budget_left_usd, CommandSpendGate& spend,
                        std::ostream& log);

}  // namespace tunecase
