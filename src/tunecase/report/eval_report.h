#pragma once

#include <string>

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

// One line, without its newline, naming the rows of eval.json's "dataset" object that share an
// id with an earlier row, with a few of the ids and what to do.
std::string duplicate_ids_warning(const nlohmann::json& dataset);
// The same for a test split whose share of the rows is more than kSplitShareSlack away from
// [data] test_fraction (small data split per label); "" otherwise.
inline constexpr double kSplitShareSlack = 0.05;
std::string split_share_warning(const nlohmann::json& dataset);

// "$1.23", "$0.0041", "unknown" for null: money with enough digits to be useful.
std::string format_usd(const nlohmann::json& value);

}  // namespace tunecase
