#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tunecase {

// Renderings of an eval.json document (DESIGN.md contract). They read only the document, so a
// report can be rebuilt from a saved eval.json.

// The terminal table: approach, accuracy [95% CI], macro-F1, invalid, latency p50/p95,
// $ per 1k, $ per month; simulated rows are marked, and partial runs (items the budget left
// unscored) are marked "(partial)" with a line such as "334/1,076 scored, stopped by budget".
std::string eval_table_text(const nlohmann::json& eval);

// report.md: the same table, the data summary, per-class tables, the most frequent confusions,
// pairwise McNemar tests (on the items both approaches scored), and what each figure's
// provenance is. It says every approach was scored on the same split only when that is true.
std::string eval_markdown(const nlohmann::json& eval);

// The warnings about eval.json's "dataset" object that eval, report.md and `check` all give,
// one line each without its newline: test labels that no train row has (a trained model cannot
// answer them), rows that share an id with an earlier row (with a few of
// the ids), and a test split whose share of the rows is more than kSplitShareSlack away from
// [data] test_fraction (small data split per label). Empty when there is nothing to say.
inline constexpr double kSplitShareSlack = 0.05;
std::vector<std::string> dataset_warnings(const nlohmann::json& dataset);
// Of those, the one about malformed rows skipped under skip_invalid (how many, how many lines they
// took, the first message); "" when none was skipped.
std::string skipped_rows_warning(const nlohmann::json& dataset);

// "$1.23", "$0.0041", "unknown" for null: money with enough digits to be useful.
std::string format_usd(const nlohmann::json& value);

}  // namespace tunecase
