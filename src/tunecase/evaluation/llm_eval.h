#pragma once

#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/approaches/classifier.h"
#include "tunecase/config/config.h"
#include "tunecase/data/example.h"
#include "tunecase/evaluation/eval_run.h"

namespace tunecase {

struct LlmEvalRun {
  std::vector<Prediction> predictions;  // aligned with the test split
  bool simulated = false;               // answers came from the offline stand-in
  nlohmann::json summary;               // runner figures: requests, cache hits, retries, spend
};

// Runs an API approach (openai / anthropic kind) over the test split through the runner: cache,
// rate limits, retries and the budget apply. Only `train` examples ever reach a prompt.
LlmEvalRun run_llm_eval(const ApproachConfig& approach, const ProjectConfig& config,
                        const Examples& train, const Examples& test,
                        const std::vector<std::string>& labels, const EvalOptions& options,
                        std::ostream& log);

}  // namespace tunecase
