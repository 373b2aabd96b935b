#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace tunecase {

// Writes optimize.json (the document as is), optimize.md, optimize.html (with the Pareto chart)
// and, when there is a winner, winner.toml into `dir`.
void write_optimize_outputs(const nlohmann::json& doc, const std::filesystem::path& dir);

// Why a search has no winner, in words that start lower case: the budget or call cap that did
// not cover the first round (the search's "no winner: ..." note), else no candidate met the
// limits of [optimize].
std::string no_winner_reason(const nlohmann::json& doc);

// The Markdown report: the winner with its dev and test figures, the rule, every candidate with
// its last dev sample, status and reason, and the Pareto set.
std::string optimize_markdown(const nlohmann::json& doc);

// Self-contained HTML: the Pareto chart (dev accuracy with its 95% interval against $ per 1k
// calls, log x) and the tables of the Markdown report.
std::string optimize_html(const nlohmann::json& doc);

}  // namespace tunecase
