#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tunecase/serve/pilot_plan.h"
#include "tunecase/serve/pilot_report.h"
#include "tunecase/store/store.h"

namespace tunecase::serve {

// What the dashboard knows beyond the store: the memo the pilot came from, and the line its
// accuracy chart draws.
struct DashboardContext {
  // decide's decision.json when serve was started with --plan (null otherwise): the figures
  // the memo assumed, shown beside what the pilot measures.
  nlohmann::json decision;
  bool memo_available = false;           // GET /memo serves the memo beside decision.json
  bool plan_available = false;           // GET /plan serves --operation-plan's page
  std::optional<double> accuracy_floor;  // [monitor] accuracy_floor, drawn on the chart
  int history_days = 365;                // days "over time" shows, up to the last with data
};

// GET /v1/dashboard (docs/dashboard.md lists every key): the pilot report of GET /v1/pilot
// under "pilot", plus
//  - "days": one row per UTC day and approach over the last history_days that have data (both
//    arms of an approach summed): requests, labelled, accuracy with its Wilson interval, latency
//    p95, errors, $; every row says "measured" or "simulated";
//  - "models" and "events": the model registry, and its promotions and rollbacks as time marks;
//  - "alerts": the open alerts; "monitoring": the latest `tunecase monitor` run's drift and
//    retraining policy (store meta "monitor.latest"), null before one ran;
//  - "context": assumed (memo) against measured (pilot) accuracy, $ per query and volume.
// Two Store::pilot_counts calls (the pilot window, the history window); nothing else is read.
nlohmann::json dashboard_data(Store& store, const PilotPlan& plan, const ReportContext& report,
                              const DashboardContext& context);

// context.volume: the memo's daily volume against the gateway's requests over the pilot's days
// (in shadow mode the champion's alone: the challenger ran on the same requests); null without
// a memo's volume.
nlohmann::json pilot_volume(const nlohmann::json& decision, const nlohmann::json& pilot,
                            int64_t now_ms, int64_t started_at_ms);

// The "context" part alone: for each approach of the memo that the pilot measured, the memo's
// accuracy and $ per query against the pilot's, and the memo's daily volume against the
// gateway's. Empty array when there is no memo.
nlohmann::json assumed_vs_measured(const nlohmann::json& decision, const nlohmann::json& pilot);

}  // namespace tunecase::serve
