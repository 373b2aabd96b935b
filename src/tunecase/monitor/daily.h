#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tunecase/core/utc_time.h"
#include "tunecase/stats/proportion.h"
#include "tunecase/store/queries.h"
#include "tunecase/store/store.h"

// The daily figures of `tunecase monitor`, and of the live dashboard that will show the same
// numbers: one call to the store (its day roll-ups), shaped into one series per approach and arm
// with every day of the window present, so a day without traffic shows as a gap, not as nothing.
namespace tunecase::monitor {

inline constexpr int64_t kDayMs = kMsPerDay;

// Days since 1970-01-01 (UTC) of a time in epoch milliseconds, by floor division.
int64_t day_of_ms(int64_t ms);
// "2026-11-30" for a day number.
std::string iso_date(int64_t day);
// "A, B to C": the runs of consecutive days, each its date or "first to last".
std::string day_spans(const std::set<int64_t>& days);
// "87.5%" for a fraction: the monitor's reports, alerts, canary and retrain messages.
std::string pct(double fraction);

// One UTC day of one approach and arm.
struct DayPoint {
  int64_t day = 0;
  std::string date;
  int64_t requests = 0;
  int64_t labelled = 0;  // predictions of that day that have a gold label by now
  int64_t correct = 0;
  int64_t errors = 0;  // time-outs included
  int64_t timeouts = 0;
  std::optional<double> accuracy;  // correct / labelled; none without labels
  Interval accuracy_ci95{0, 1};    // Wilson score interval; {0, 1} without labels
  bool counted = false;            // labelled >= min_labelled: the day counts for alerts
  // Answered, wholly or in part, by a model the approach's champion has since replaced: shown,
  // never counted (the monitor judges the model being served).
  bool replaced_model = false;
  double error_rate = 0;      // errors / requests; 0 without requests
  double latency_p50_ms = 0;  // over the day's answered requests, within 0.5%
  double latency_p95_ms = 0;
  // What the day's requests cost, by the price each carried; none when none carried one (a
  // local model: its hosting is a monthly figure of the memo's, not a per-request cost).
  std::optional<double> cost_usd;
  // Answered requests whose API reported no token usage while others carried a cost, and the
  // day's spend with each of them at the mean of the known ones (present when any).
  int64_t cost_unknown = 0;
  std::optional<double> cost_estimated_usd;
};

// One gold label's figures over the window and over its last days (`recent`): what an accuracy
// alert's reader looks at first ("which labels does it get wrong now").
struct LabelPoint {
  std::string label;
  int64_t labelled = 0, correct = 0;
  int64_t recent_labelled = 0, recent_correct = 0;
};

// The answers given for a gold label in the window's last days, most frequent mistakes first.
struct ConfusionPoint {
  std::string gold, predicted;
  int64_t count = 0;
};

struct ApproachSeries {
  std::string approach;
  Arm arm = Arm::champion;
  std::string name;            // "approach", or "approach (shadow)" for arms other than champion
  std::vector<DayPoint> days;  // first_day .. end_day - 1, oldest first
  int64_t requests = 0, labelled = 0, correct = 0;  // over the window
  bool simulated = false;  // some of its answers came from sim-llm, the offline stand-in
  // Set when the champion replaced another model within the window: the first day the
  // accuracy rule judges, and the version it judges.
  std::string judged_from, model_version;
  // By gold label, over the window and its last kRecentDays days; the most frequent mistakes
  // of those days (gold != predicted, at most kTopConfusions).
  std::vector<LabelPoint> labels;
  std::vector<ConfusionPoint> confusions;
};

inline constexpr int64_t kRecentDays = 7;
inline constexpr std::size_t kTopConfusions = 5;

// Days [first_day, end_day), UTC.
struct DailyQuery {
  int64_t first_day = 0;
  int64_t end_day = 0;
  int64_t min_labelled = 50;
  std::vector<std::string> approaches;  // empty: every approach with traffic
  // Read nothing at or after this clock (today so far ends at the monitor's clock, which a
  // replay or a test sets in the past).
  int64_t until_ms = std::numeric_limits<int64_t>::max();
  // Approaches priced per request (priced_approaches, daily_figures reads it from the store):
  // their answers without a cost are unknown, even on a day none carried one.
  std::set<std::string> priced;
};

// The figures of the window from the store. Throws std::invalid_argument for an empty window.
std::vector<ApproachSeries> daily_figures(Store& store, const DailyQuery& query);

// The same shaping from roll-up days already read (the pure half, tested without a store).
std::vector<ApproachSeries> series_from_days(const std::vector<DayFigures>& days,
                                             const DailyQuery& query);

}  // namespace tunecase::monitor
