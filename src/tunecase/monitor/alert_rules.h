#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/monitor/daily.h"

// The alert rules of `tunecase monitor`: pure functions of the daily figures and [monitor], so
// they are tested (and their false-alarm rate simulated) without a store or a clock.
namespace tunecase::monitor {

// The alert kinds, as stored (Alert::kind) and written to alerts.jsonl.
inline constexpr const char* kAccuracyBelowFloor = "accuracy_below_floor";
inline constexpr const char* kErrorRate = "error_rate";
inline constexpr const char* kLatencyP95 = "latency_p95";
inline constexpr const char* kCostPerDay = "cost_per_day";
inline constexpr const char* kNoFeedback = "no_feedback";
inline constexpr const char* kNoTraffic = "no_traffic";

// What one rule concluded about one approach on the evaluated day.
enum class RuleState {
  firing,   // the condition holds: an alert opens (or stays open)
  clear,    // it does not: an open alert of this kind resolves
  unknown,  // too little data to say (too few labels or requests): nothing changes
  // The condition is no longer shown to hold, and not yet shown to have ended (the accuracy
  // rule's recovery needs more than one day back at the floor): an open alert stays open,
  // none opens.
  holding,
};

struct Finding {
  std::string kind;
  std::string approach;  // ApproachSeries::name; "" for store-wide rules (no_feedback)
  RuleState state = RuleState::unknown;
  int64_t day = 0;
  std::string message;  // one line a person can act on
  nlohmann::json details = nlohmann::json::object();
};

// The accuracy rule, judged on the last counted day of `days` (labels arrive late, so the most
// recent days often have too few labels; the rule looks back to the newest day that has enough):
//  - interval: that day's Wilson 95% upper bound is below the floor (the day alone shows, with
//    95% confidence, accuracy under the floor);
//  - consecutive: the last `consecutive_days` counted days all have point accuracy below the
//    floor;
//  - both: either of the two (interval catches a collapse in a day, consecutive a slide).
// unknown when no day of `days` is counted.
RuleState accuracy_rule(const std::vector<DayPoint>& days, const MonitorSettings& settings);

// Every per-approach rule on the last day of `series` (the last complete day).
std::vector<Finding> evaluate_series(const ApproachSeries& series, const MonitorSettings& settings);

// "No feedback arriving": traffic flowed in the last `feedback_silence_hours` but no label was
// received in that time, so accuracy is unknown. clear when a label arrived in that time, when
// nothing was served since the last label, or, before any label ever arrived, when the traffic is
// younger than `feedback_silence_hours` (`requests_before_window` 0: labels that come days later
// have not had that long to come). `requests_before_window`: requests served after the last label
// (or ever, without one) and before the window. With none in the window but some of those:
// unknown, so an open alert stays open.
Finding evaluate_feedback(int64_t now_ms, std::optional<int64_t> last_feedback_ms,
                          int64_t requests_in_silence_window, int64_t requests_before_window,
                          const MonitorSettings& settings);

// "No traffic": requests had been logged, but none in the last `traffic_silence_hours`: a
// client, a route or the gateway stopped sending, and every other rule then sees nothing to
// judge (a dead integration had looked healthy). clear when requests arrived in that time;
// unknown before any request was ever logged.
Finding evaluate_traffic(int64_t now_ms, int64_t requests_in_window, int64_t requests_before_window,
                         const MonitorSettings& settings);

// The accuracy rule's behaviour by simulation: `runs` independent series of `days` days with
// `labelled_per_day` labels, each label correct with probability `accuracy_before` until day
// `change_day`, then `accuracy_after`. Deterministic for a seed.
struct RuleSimulation {
  double accuracy_before = 0, accuracy_after = 0;
  int64_t labelled_per_day = 0;
  int days = 0, change_day = 0, runs = 0;
  // Before the change (accuracy_before >= floor): share of days on which the rule newly fires,
  // and that rate times 365 (false alarms per year of daily monitoring).
  double false_alarms_per_day = 0;
  double false_alarms_per_year = 0;
  // After the change: days from the change to the first firing (1 = the first day after it),
  // over the runs that fired; and the share of runs that never fired before the end.
  double mean_detection_days = 0;
  int median_detection_days = 0;
  int p95_detection_days = 0;
  double missed_share = 0;
};
RuleSimulation simulate_accuracy_rule(const MonitorSettings& settings, double accuracy_before,
                                      double accuracy_after, int64_t labelled_per_day, int days,
                                      int change_day, int runs, uint64_t seed);
nlohmann::json to_json(const RuleSimulation& s);

// The rule as the config sets it, at `labelled_per_day` labels a day: true accuracy at the floor
// + 5 points for a year (false alarms), then a drop to the floor - 9 points (the seed's 80% floor
// and 71% accuracy), 400 runs of 425 days, one seed. `monitor --simulate-rule` and `plan` both
// print it, so one config reads the same figures in both.
RuleSimulation simulate_configured_rule(const MonitorSettings& settings, int64_t labelled_per_day);

// How the simulated drop is caught, in words: "caught after 3 days (median; 95% within 6)",
// with the share never caught, or "never caught" and why (days with fewer labels than
// min_labelled are never judged). A median over the caught runs alone read "after 0 days" when
// none was caught.
std::string detection_in_words(const RuleSimulation& s, int64_t min_labelled);

}  // namespace tunecase::monitor
