#pragma once

#include <string>

#include <nlohmann/json.hpp>

// Renderings of a monitor.json document (docs/operate.md lists its keys). They read only the
// document, so a report can be rebuilt from a saved monitor.json.
namespace tunecase::monitor {

// A few lines for the terminal: per approach the last day's figures, then alerts fired,
// resolved and still open, then drift verdicts.
std::string monitor_text(const nlohmann::json& doc);

// monitor.md: per approach a table of days (requests, labelled, accuracy [95% CI], latency
// p50/p95, errors, $), the alerts and the drift detectors.
std::string monitor_markdown(const nlohmann::json& doc);

// monitor.html: one offline page, the same tables plus charts over days: accuracy with its
// 95% interval band and the floor, latency p95 (with its ceiling) and $ per day.
std::string monitor_html(const nlohmann::json& doc);

}  // namespace tunecase::monitor
