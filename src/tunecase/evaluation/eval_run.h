#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/data/prepare.h"
#include "tunecase/runner/cache_location.h"

namespace tunecase {

struct EvalOptions {
  std::filesystem::path out_dir = "tunecase-out";
  int concurrency = 8;                 // LLM requests in flight
  std::optional<double> max_cost_usd;  // stop LLM approaches before spending more
  bool assume_yes = false;             // skip the cost confirmation
  CacheChoice cache;                   // LLM response cache (default: the project's)
  bool progress = true;
  std::vector<std::string> only;  // approach names to run; empty = all
  // Run the data-quality report (tunecase inspect) on the splits: eval.json's dataset.quality,
  // data.md, data.json and suspect_labels.csv, and each approach's accuracy without the test
  // rows that are near-copies of train or dev texts.
  bool inspect = true;
  // Run every LLM approach a second time without [privacy] redaction and report both accuracies
  // (eval.json "redaction"): what privacy costs in accuracy, measured. The second run sends the
  // texts unredacted, so it is only done when asked.
  bool compare_redaction = false;
};

// The distinct errors of an approach's predictions, most frequent first, at most five, each cut
// at 300 bytes ({"error", "items"}): errors that differ only in their digits (ids, times, token
// counts quoted from a body) are one, shown by its first text.
nlohmann::json error_samples(const std::vector<Prediction>& predictions);

// `tunecase eval`: prepares the data, runs every approach on the same test split, and writes
// eval.json, report.md, predictions.jsonl and models/<approach>/ into options.out_dir (and, with
// options.inspect, data.md, data.json and suspect_labels.csv).
// Returns the eval.json document.
// `data` with every text the data-quality report may quote (rows, conflict samples) passed through
// [privacy] redact: with redaction on, data.md, data.html, suspect_labels.csv and eval.json hold
// placeholders, not the personal data that never leaves for an endpoint either. A copy of
// `data` when the rules are empty.
PreparedData with_redacted_texts(PreparedData data, const RedactionRules& rules);
// The same for a summary alone: the texts its conflict samples quote, for a report to print.
DatasetSummary with_redacted_samples(DatasetSummary summary, const RedactionRules& rules);

// The earlier run's results a run set aside in `out_dir` (OUT/.earlier-run/, see eval-json.md),
// put back in place with the model folders and prompt files the run replaced: what a run stopped
// before its eval.json (a stop signal, which ends the process without unwinding) leaves the
// folder with. Only removed when eval.json is there (the run had finished). True when any was
// put back. Never throws.
bool put_back_earlier_results(const std::filesystem::path& out_dir) noexcept;

nlohmann::json run_evaluation(const ProjectConfig& config, const EvalOptions& options,
                              std::ostream& log);

}  // namespace tunecase
