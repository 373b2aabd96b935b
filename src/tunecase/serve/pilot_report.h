#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tunecase/serve/pilot_plan.h"
#include "tunecase/store/store.h"

namespace tunecase::serve {

struct ReportContext {
  int64_t now_ms = 0;
  int64_t started_at_ms = 0;  // the pilot's start (store meta "pilot.started_at_ms")
  // Serve start to an approach's first answer, when this process served it (not offline).
  std::function<std::optional<double>(const std::string&)> cold_start_ms;
};

// The pilot report of GET /v1/pilot and `tunecase pilot` (docs/serve.md lists every key): per-arm
// figures, the difference with its always-valid interval, the sample-ratio check, the
// error-pattern diff, the verdict of the plan's rule with its reasons, and plan progress. Figures
// come from one Store::pilot_counts call over [started_at, now), so every replica on one store
// reports the same numbers. Every arm (and the report) says whether its figures are "measured"
// or "simulated" (answers from sim-llm).
nlohmann::json pilot_report(Store& store, const PilotPlan& plan, const ReportContext& context);

// A short text table of the report for a terminal.
std::string pilot_report_text(const nlohmann::json& report);

}  // namespace tunecase::serve
