#include "tunecase/monitor/alert_rules.h"

#include <fmt/format.h>

#include "tunecase/core/number_format.h"

#include <algorithm>
#include <random>

namespace tunecase::monitor {
namespace {

bool below_floor(const DayPoint& d, double floor) {
  return d.accuracy && *d.accuracy < floor;
}

RuleState consecutive_rule(const std::vector<DayPoint>& days, const MonitorSettings& s) {
  int seen = 0;
  for (auto it = days.rbegin(); it != days.rend() && seen < s.consecutive_days; ++it) {
    if (!it->counted) continue;
    if (!below_floor(*it, s.accuracy_floor)) return RuleState::clear;
    ++seen;
  }
  return seen == s.consecutive_days ? RuleState::firing : RuleState::clear;
}

// Whether the last `consecutive_days` counted days all have point accuracy at or above the
// floor: the accuracy rule's recovery.
bool consecutive_at_floor(const std::vector<DayPoint>& days, const MonitorSettings& s) {
  int seen = 0;
  for (auto it = days.rbegin(); it != days.rend() && seen < s.consecutive_days; ++it) {
    if (!it->counted) continue;
    if (below_floor(*it, s.accuracy_floor)) return false;
    ++seen;
  }
  return seen == s.consecutive_days;
}

// The last counted day: labels arrive late, so the most recent days often have too few to judge.
const DayPoint* last_counted(const std::vector<DayPoint>& days) {
  for (auto it = days.rbegin(); it != days.rend(); ++it)
    if (it->counted) return &*it;
  return nullptr;
}

// Milliseconds as a reader compares them with a ceiling: a decimal from 100 ms up ("1873.4",
// "200.4" beside "200.0"), three significant digits below ("0.219"); never "1.87e+03".
std::string ms_text(double ms) {
  return ms >= 100 ? fmt::format("{:.1f}", ms) : significant_fixed(ms, 3);
}

Finding accuracy_finding(const ApproachSeries& series, const MonitorSettings& s) {
  const DayPoint* judged = last_counted(series.days);
  const DayPoint& last = judged ? *judged : series.days.back();
  Finding f{kAccuracyBelowFloor, series.name, accuracy_rule(series.days, s), last.day, "", {}};
  f.details = {{"date", last.date},
               {"labelled", last.labelled},
               {"floor", s.accuracy_floor},
               {"rule", s.accuracy_rule},
               {"min_labelled", s.min_labelled}};
  if (last.accuracy) {
    f.details["accuracy"] = *last.accuracy;
    f.details["accuracy_ci95"] = {last.accuracy_ci95.lo, last.accuracy_ci95.hi};
  }
  if (f.state == RuleState::unknown) {
    f.message = fmt::format(
        "{}: no day of the window has min_labelled = {} labels; accuracy not "
        "judged",
        series.name, s.min_labelled);
  } else if (f.state == RuleState::holding) {
    f.message = fmt::format(
        "{}: accuracy {} [{}, {}] on {} ({} labelled); floor {}: not below it by the {} rule, "
        "not yet back either (that takes {} counted days in a row at or above the floor, or one "
        "day whose interval lies above it): no alert fires, and one already open stays open",
        series.name, last.accuracy ? pct(*last.accuracy) : "n/a", pct(last.accuracy_ci95.lo),
        pct(last.accuracy_ci95.hi), last.date, last.labelled, pct(s.accuracy_floor),
        s.accuracy_rule, s.consecutive_days);
  } else {
    f.message = fmt::format("{}: accuracy {} [{}, {}] on {} ({} labelled); floor {} ({} rule)",
                            series.name, last.accuracy ? pct(*last.accuracy) : "n/a",
                            pct(last.accuracy_ci95.lo), pct(last.accuracy_ci95.hi), last.date,
                            last.labelled, pct(s.accuracy_floor), s.accuracy_rule);
  }
  return f;
}

}  // namespace

RuleState accuracy_rule(const std::vector<DayPoint>& days, const MonitorSettings& s) {
  const DayPoint* judged = last_counted(days);
  if (judged == nullptr) return RuleState::unknown;
  bool interval = judged->accuracy_ci95.hi < s.accuracy_floor;
  bool use_interval = s.accuracy_rule != "consecutive";
  bool use_consecutive = s.accuracy_rule != "interval";
  if (use_interval && interval) return RuleState::firing;
  if (use_consecutive && consecutive_rule(days, s) == RuleState::firing) return RuleState::firing;
  // Back only when the data shows it, as firing needs it shown: one day at the floor between
  // days under it had resolved the alert and fired it again three days later (and a retrain
  // due on it was no longer due meanwhile).
  if (judged->accuracy_ci95.lo >= s.accuracy_floor || consecutive_at_floor(days, s))
    return RuleState::clear;
  return RuleState::holding;
}

std::vector<Finding> evaluate_series(const ApproachSeries& series, const MonitorSettings& s) {
  std::vector<Finding> out;
  if (series.days.empty()) return out;
  const DayPoint& last = series.days.back();
  out.push_back(accuracy_finding(series, s));
  bool enough = last.requests >= s.min_requests;
  auto state = [&](bool condition) {
    return !enough ? RuleState::unknown : condition ? RuleState::firing : RuleState::clear;
  };
  // A day under min_requests is not judged, and its figures are not quoted as if measured ("0
  // of 0 requests failed", "latency p95 0 ms" on a day without traffic).
  const std::string too_few =
      fmt::format("{}: too few requests on {} to judge ({} < min_requests {})", series.name,
                  last.date, last.requests, s.min_requests);
  Finding errors{
      kErrorRate,
      series.name,
      state(last.error_rate > s.max_error_rate),
      last.day,
      enough ? fmt::format("{}: {} of {} requests failed on {} ({}; ceiling {})", series.name,
                           last.errors, last.requests, last.date, pct(last.error_rate),
                           pct(s.max_error_rate))
             : too_few,
      {{"date", last.date},
       {"errors", last.errors},
       {"timeouts", last.timeouts},
       {"requests", last.requests},
       // null on a day without requests, as the daily figures say it
       {"error_rate", last.requests > 0 ? nlohmann::json(last.error_rate) : nlohmann::json()},
       {"ceiling", s.max_error_rate}}};
  out.push_back(std::move(errors));
  if (s.max_latency_p95_ms) {
    out.push_back({kLatencyP95,
                   series.name,
                   state(last.latency_p95_ms > *s.max_latency_p95_ms),
                   last.day,
                   // Three significant digits: "200 ms (ceiling 200 ms)" had fired on 200.4.
                   enough ? fmt::format("{}: latency p95 {} ms on {} (ceiling {} ms)", series.name,
                                        ms_text(last.latency_p95_ms), last.date,
                                        ms_text(*s.max_latency_p95_ms))
                          : too_few,
                   {{"date", last.date},
                    {"latency_p95_ms", last.latency_p95_ms},
                    {"ceiling_ms", *s.max_latency_p95_ms}}});
  }
  if (s.max_usd_per_day) {
    // Cost needs no minimum: one expensive request is already money spent.
    // Requests whose API reported no usage count at the mean of the known ones: summed as $0,
    // half of a day's answers without usage had kept the alert quiet.
    double spent = last.cost_estimated_usd.value_or(last.cost_usd.value_or(0));
    RuleState cost = spent > *s.max_usd_per_day ? RuleState::firing : RuleState::clear;
    // No answer of the day reported usage: its spend is unknown, not under the ceiling.
    if (last.cost_unknown > 0 && !last.cost_estimated_usd) cost = RuleState::unknown;
    std::string estimated =
        last.cost_unknown > 0
            ? fmt::format(", estimated: {} requests reported no token usage", last.cost_unknown)
            : "";
    out.push_back({kCostPerDay,
                   series.name,
                   cost,
                   last.day,
                   fmt::format("{}: {} spent on {}{} (ceiling {})", series.name, usd_amount(spent),
                               last.date, estimated, usd_amount(*s.max_usd_per_day)),
                   {{"date", last.date},
                    {"cost_usd", spent},
                    {"cost_unknown", last.cost_unknown},
                    {"ceiling_usd", *s.max_usd_per_day}}});
  }
  // An alert on sim-llm's answers says so wherever it goes (JSONL, stdout, the webhook).
  for (Finding& f : out) {
    f.details["basis"] = series.simulated ? "simulated" : "measured";
    if (series.simulated && f.message.starts_with(series.name + ":"))
      f.message.insert(series.name.size(), " (simulated)");
  }
  return out;
}

Finding evaluate_feedback(int64_t now_ms, std::optional<int64_t> last_feedback_ms,
                          int64_t requests_in_silence_window, int64_t requests_before_window,
                          const MonitorSettings& s) {
  auto window_ms = static_cast<int64_t>(s.feedback_silence_hours * 3'600'000.0);
  Finding f{kNoFeedback, "", RuleState::clear, day_of_ms(now_ms), "", {}};
  f.details = {{"silence_hours", s.feedback_silence_hours},
               {"requests_in_window", requests_in_silence_window}};
  if (last_feedback_ms) f.details["last_feedback_at_ms"] = *last_feedback_ms;
  bool silent = last_feedback_ms ? *last_feedback_ms < now_ms - window_ms
                                 : requests_before_window > 0;  // silent for a whole window
  if (silent && requests_in_silence_window > 0) {
    f.state = RuleState::firing;
    f.message = last_feedback_ms
                    ? fmt::format(
                          "no label received for {:.0f} hours, while {} requests were served "
                          "in the last {:g} hours (feedback_silence_hours): accuracy is unknown; "
                          "check the feedback pipeline",
                          static_cast<double>(now_ms - *last_feedback_ms) / 3'600'000.0,
                          requests_in_silence_window, s.feedback_silence_hours)
                    : fmt::format(
                          "no label was ever received, while {} requests were served in the last "
                          "{:g} hours (feedback_silence_hours): accuracy is unknown; send feedback "
                          "(POST /v1/feedback or `tunecase feedback`)",
                          requests_in_silence_window, s.feedback_silence_hours);
  } else if (!last_feedback_ms && requests_in_silence_window > 0) {
    f.message = fmt::format(
        "no label yet; traffic began less than {:.0f} hours ago (feedback_silence_hours)",
        s.feedback_silence_hours);
  } else if (silent && requests_before_window > 0) {
    // Silent, and no request in the window, but requests served since the last label (before the
    // window) never got one: the pipeline may still be broken, and the quiet traffic says nothing
    // of it. Unknown, not clear: an open alert stays open (it had resolved when traffic stopped).
    f.state = RuleState::unknown;
    f.message = fmt::format(
        "{}; no request was served in the last {:g} hours, but the {} served before them "
        "(after the last label) have had none: nothing shows the feedback pipeline works again",
        last_feedback_ms
            ? fmt::format("no label for {:.0f} hours",
                          static_cast<double>(now_ms - *last_feedback_ms) / 3'600'000.0)
            : std::string("no label was ever received"),
        s.feedback_silence_hours, requests_before_window);
  } else if (silent) {
    // Silent, but nothing was served since the last label: no label was due.
    f.message =
        fmt::format("{}, and no request was served in the last {:g} hours either: none was due",
                    last_feedback_ms
                        ? fmt::format("no label for {:.0f} hours",
                                      static_cast<double>(now_ms - *last_feedback_ms) / 3'600'000.0)
                        : std::string("no label was ever received"),
                    s.feedback_silence_hours);
  } else {
    f.message = "labels are arriving";
  }
  return f;
}

Finding evaluate_traffic(int64_t now_ms, int64_t requests_in_window, int64_t requests_before_window,
                         const MonitorSettings& s) {
  Finding f{kNoTraffic, "", RuleState::clear, day_of_ms(now_ms), "", {}};
  f.details = {{"silence_hours", s.traffic_silence_hours},
               {"requests_in_window", requests_in_window},
               {"requests_before_window", requests_before_window}};
  if (requests_in_window > 0) {
    f.message = fmt::format("{} requests in the last {:g} hours", requests_in_window,
                            s.traffic_silence_hours);
  } else if (requests_before_window == 0) {
    f.state = RuleState::unknown;
    f.message = "no request logged yet";
  } else {
    f.state = RuleState::firing;
    f.message = fmt::format(
        "no request logged in the last {:g} hours, after {} earlier ones: every other rule has "
        "nothing to judge; check that the clients still send to the gateway and that it is up "
        "(traffic_silence_hours)",
        s.traffic_silence_hours, requests_before_window);
  }
  return f;
}

RuleSimulation simulate_accuracy_rule(const MonitorSettings& settings, double accuracy_before,
                                      double accuracy_after, int64_t labelled_per_day, int days,
                                      int change_day, int runs, uint64_t seed) {
  RuleSimulation r{accuracy_before, accuracy_after, labelled_per_day, days, change_day, runs};
  std::mt19937_64 rng(seed);
  int64_t alarms = 0, clean_days = 0;
  std::vector<int> delays;
  int missed = 0;
  for (int run = 0; run < runs; ++run) {
    std::vector<DayPoint> series;
    bool open = false;
    std::optional<int> detected;
    for (int d = 0; d < days; ++d) {
      double p = d < change_day ? accuracy_before : accuracy_after;
      std::binomial_distribution<int64_t> draw(labelled_per_day, p);
      DayPoint point;
      point.day = d;
      point.labelled = labelled_per_day;
      point.correct = draw(rng);
      point.accuracy = static_cast<double>(point.correct) / static_cast<double>(labelled_per_day);
      point.accuracy_ci95 = wilson_interval(static_cast<std::size_t>(point.correct),
                                            static_cast<std::size_t>(labelled_per_day));
      point.counted = labelled_per_day >= settings.min_labelled;
      series.push_back(point);
      RuleState state = accuracy_rule(series, settings);
      bool fires = state == RuleState::firing;
      if (d < change_day) {
        ++clean_days;
        if (fires && !open) ++alarms;  // a new alert, as the store would open it
      } else if (fires && !detected) {
        detected = d - change_day + 1;
      }
      if (state == RuleState::firing || state == RuleState::clear) open = fires;
    }
    if (change_day < days) {
      if (detected) {
        delays.push_back(*detected);
      } else {
        ++missed;
      }
    }
  }
  if (clean_days > 0) {
    r.false_alarms_per_day = static_cast<double>(alarms) / static_cast<double>(clean_days);
    r.false_alarms_per_year = r.false_alarms_per_day * 365;
  }
  if (!delays.empty()) {
    std::sort(delays.begin(), delays.end());
    double sum = 0;
    for (int v : delays) sum += v;
    r.mean_detection_days = sum / static_cast<double>(delays.size());
    r.median_detection_days = delays[delays.size() / 2];
    r.p95_detection_days = delays[std::min(delays.size() - 1, delays.size() * 95 / 100)];
  }
  if (change_day < days && runs > 0)
    r.missed_share = static_cast<double>(missed) / static_cast<double>(runs);
  return r;
}

std::string detection_in_words(const RuleSimulation& s, int64_t min_labelled) {
  const int64_t after = s.days - s.change_day;
  if (s.missed_share >= 1.0) {
    if (s.labelled_per_day < min_labelled)
      return fmt::format(
          "is never caught: with {} labels a day, fewer than min_labelled ({}), no day is judged, "
          "so the accuracy alert cannot fire; lower [monitor] min_labelled or label more items a "
          "day",
          s.labelled_per_day, min_labelled);
    return fmt::format("is not caught within {} days in any simulated run", after);
  }
  std::string out = fmt::format("is caught after {} days (median; 95% within {})",
                                s.median_detection_days, s.p95_detection_days);
  if (s.missed_share > 0)
    out += fmt::format(", and {:.0f}% of the simulated drops were not caught within {} days",
                       100 * s.missed_share, after);
  return out;
}

RuleSimulation simulate_configured_rule(const MonitorSettings& settings, int64_t labelled_per_day) {
  return simulate_accuracy_rule(settings, std::min(0.99, settings.accuracy_floor + 0.05),
                                std::max(0.0, settings.accuracy_floor - 0.09), labelled_per_day,
                                365 + 60, 365, 400, 7);
}

nlohmann::json to_json(const RuleSimulation& s) {
  return {{"accuracy_before", s.accuracy_before},
          {"accuracy_after", s.accuracy_after},
          {"labelled_per_day", s.labelled_per_day},
          {"days", s.days},
          {"change_day", s.change_day},
          {"runs", s.runs},
          {"false_alarms_per_day", s.false_alarms_per_day},
          {"false_alarms_per_year", s.false_alarms_per_year},
          {"mean_detection_days", s.mean_detection_days},
          {"median_detection_days", s.median_detection_days},
          {"p95_detection_days", s.p95_detection_days},
          {"missed_share", s.missed_share}};
}

}  // namespace tunecase::monitor
