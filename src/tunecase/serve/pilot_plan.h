#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tunecase/config/config.h"
#include "tunecase/economics/pilot_rule.h"
#include "tunecase/serve/dispatcher.h"
#include "tunecase/store/store.h"

namespace tunecase::serve {

// What a pilot runs and how it is judged, fixed before it starts (docs/serve.md "The plan").
struct PilotPlan {
  std::string champion;
  std::string challenger;  // "" = production mode: the champion alone, no verdict
  ServeMode mode = ServeMode::production;
  double share = 0.05;             // the challenger's planned share of requests (split, fallback)
  int days = 14;                   // planned length
  econ::PilotRule rule;            // the verdict rule judge_pilot() applies
  std::string rule_source;         // "decision.json (FILE)" or "[pilot] (FILE:LINE)"
  std::vector<std::string> notes;  // said at start: where [pilot] departs from the memo's plan
};

// The plan from the config's [pilot] table and, with `plan_file` (decide's decision.json), the
// memo's recommendation.pilot: its rule (pilot_rule_from_json), share, days and queries per arm.
// The arms are [pilot]'s champion and challenger, else the memo's baseline and challenger; the
// champion defaults to the first approach. UserError when an arm names no [[approach]], when
// [pilot] and the memo name different arms, or when the memo has no pilot.
PilotPlan make_pilot_plan(const ProjectConfig& config, const std::filesystem::path& plan_file);

// The rule [pilot] implies without a memo: a clear win needs the always-valid interval's low end
// of the accuracy gain at or above min_gain; planned labelled queries per arm = queries_per_arm
// (else 1000).
econ::PilotRule rule_from_settings(const PilotSettings& pilot, const std::string& champion,
                                   const std::string& challenger);

// The plan `serve` records in the store when it starts (meta kRecordedPlanKey), so that
// `tunecase pilot` without --plan or [pilot] judges the pilot by the rule the gateway ran.
inline constexpr const char* kRecordedPlanKey = "pilot.plan";
// The replay clock's time when a gateway started with --replay-clock stopped ("" after a start
// on the wall clock): `tunecase pilot` reports the store as of then, as /v1/pilot did.
inline constexpr const char* kReplayClockKey = "pilot.replay_clock_ms";
// The longest leap a replay's clock takes at once (a request's or a feedback's "at"): it never
// goes back, so one mistyped time would date everything after it.
inline constexpr int64_t kLongestReplayLeapDays = 400;
// That time, read from `store`: none when no replay clock is kept (or the value is unreadable).
std::optional<int64_t> stored_replay_clock(Store& store);
// The label set `serve` checks feedback against (a JSON array), recorded at each start, so that
// `tunecase feedback FILE` checks a file's labels against the same set.
inline constexpr const char* kServedLabelsKey = "serve.labels";
nlohmann::json to_json(const PilotPlan& plan);
// UserError when the record is not a plan this version wrote.
PilotPlan pilot_plan_from_json(const nlohmann::json& j);
// "split: A vs B" or "production: A": what a note names when two plans differ.
std::string plan_summary(const PilotPlan& plan);

}  // namespace tunecase::serve
