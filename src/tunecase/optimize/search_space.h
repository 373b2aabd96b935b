#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"

namespace tunecase {

// One point of the prompt search: an [[approach]] derived from a model template with the
// varied settings (strategy, shots, selection, temperature, structured output, descriptions).
struct Candidate {
  std::string name;           // unique, readable: "<template>/few_shot/k8/stratified/t0/json/desc"
  std::string template_name;  // the [[approach]] (or inline table) it was derived from
  ApproachConfig approach;    // ready for the runner
  nlohmann::json settings;    // only the varied keys, for reports
};

// The [optimize] table: the search space and the rules of the search.
struct OptimizeSettings {
  std::vector<Candidate> candidates;
  std::optional<double> max_usd_per_1k;  // winner rule: best dev accuracy within these limits
  std::optional<double> max_p95_ms;
  std::optional<double> budget_usd;      // new spend of the whole search (final test included)
  std::optional<std::size_t> max_calls;  // requests sent by the search (final test excluded)
  uint64_t seed = 7;                     // which dev items form the nested samples
  std::size_t start_sample = 50;         // dev items of the first round
};

// Expands the typed [optimize] table. `models` lists names of [[approach]] tables (kind openai or
// anthropic) or inline tables with the same keys; every other list defaults to the template's
// own value. Settings that a strategy ignores collapse (zero_shot has no shots or selection;
// retrieval_few_shot always selects by similarity), so the grid holds distinct candidates only.
// Throws UserError naming the key for a missing table, an unknown template or strategy, or a
// value of the wrong type.
OptimizeSettings read_optimize_settings(const ProjectConfig& config);

// The candidate as a ready-to-paste [[approach]] TOML block (named `name`).
std::string approach_toml(const ApproachConfig& approach, const std::string& name);

}  // namespace tunecase
