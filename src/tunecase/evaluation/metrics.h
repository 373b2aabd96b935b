#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/approaches/classifier.h"

namespace tunecase {

// The quality figures of one approach on the test split, in the eval.json shape: n (= scored),
// scored, not_run, partial (some items were never sent; not_run_reason says why), accuracy,
// accuracy_ci95 (Wilson), macro_f1, invalid_rate, error_rate, latency_ms {p50,p95,p99} (nearest
// rank), tokens_in_mean, tokens_out_mean, per_class, confusion. All measured, on the scored items
// only: an item never sent is not counted as wrong.
nlohmann::json quality_json(const std::vector<std::string>& gold,
                            const std::vector<Prediction>& predictions,
                            const std::vector<std::string>& labels);

// True for an item the runner never sent (the --max-cost budget was reached first). Such items
// are left out of every figure instead of counting as wrong.
bool was_not_run(const Prediction& p);

// One entry of eval.json "pairwise" for every pair of approaches: McNemar's exact test on the
// items both scored (n). When either run is partial, compared_on = "common_scored_items" and a
// note names both counts; when no item was scored by both, mcnemar_p is null and "omitted" says
// why.
struct ScoredApproach {
  std::string name;
  std::vector<bool> correct;  // aligned with the test split
  std::vector<bool> ran;      // aligned; false for items never sent
};
nlohmann::json pairwise_json(const std::vector<ScoredApproach>& approaches);

}  // namespace tunecase
