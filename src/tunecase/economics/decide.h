#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"

namespace tunecase {

struct DecisionResult {
  nlohmann::json decision;  // the content of decision.json
  std::string memo_md, memo_html;
  std::string recommendation;  // the recommended approach's name ("" when none is priced)
};

// The business case. `eval` is the parsed eval.json, or nullptr for scenario mode (accuracies
// or harmful-error rates assumed per approach in the config). Writes decision.json, memo.md
// and memo.html into out_dir (created if needed). Throws UserError for missing or negative
// business inputs and for config approaches absent from eval.json.
DecisionResult run_decide(const ProjectConfig& config, const nlohmann::json* eval,
                          const std::filesystem::path& out_dir);

// Reads eval.json from a folder written by `tunecase eval --out DIR` (or the file itself).
nlohmann::json load_eval_json(const std::filesystem::path& dir_or_file);

}  // namespace tunecase
