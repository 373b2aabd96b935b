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
// `curve`: the curve.json of `tunecase curve` (or nullptr); checklist question 1 and the memo
// then say what the learning curve shows about the labels in hand.
// `accept_partial` (--accept-partial): decide on approaches eval did not score on every test
// item (otherwise a UserError), naming each as a risk.
DecisionResult run_decide(const ProjectConfig& config, const nlohmann::json* eval,
                          const std::filesystem::path& out_dir,
                          const nlohmann::json* curve = nullptr, bool accept_partial = false,
                          bool accept_changed = false);

// Reads eval.json from a folder written by `tunecase eval --out DIR` (or the file itself).
nlohmann::json load_eval_json(const std::filesystem::path& dir_or_file);

// Reads curve.json from a folder written by `tunecase curve --out DIR` (or the file itself).
nlohmann::json load_curve_json(const std::filesystem::path& dir_or_file);

}  // namespace tunecase
