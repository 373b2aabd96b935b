#include "tunecase/monitor/monitor.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <set>

#include "tunecase/monitor/retrain.h"

#include "tunecase/monitor/alert_rules.h"
#include "tunecase/monitor/drift.h"

namespace tunecase::monitor {
namespace {

nlohmann::json day_json(const DayPoint& d, int64_t index) {
  nlohmann::json j = {{"date", d.date},
                      {"day_index", index},
                      {"requests", d.requests},
                      {"labelled", d.labelled},
                      {"correct", d.correct},
                      {"accuracy", nullptr},
                      {"accuracy_ci95", {d.accuracy_ci95.lo, d.accuracy_ci95.hi}},
                      {"counted", d.counted},
                      {"replaced_model", d.replaced_model},
                      {"latency_p50_ms", d.latency_p50_ms},
                      {"latency_p95_ms", d.latency_p95_ms},
                      {"errors", d.errors},
                      {"timeouts", d.timeouts},
                      {"error_rate", d.error_rate},
                      {"cost_usd", d.cost_usd ? nlohmann::json(*d.cost_usd) : nlohmann::json()}};
  if (d.accuracy) j["accuracy"] = *d.accuracy;
  // A day without requests has no latency and no error rate: null, never 0 ms and 0% (read
  // as measured, a chart or an average took them as perfectly fast days).
  if (d.requests == 0) j["latency_p50_ms"] = j["latency_p95_ms"] = j["error_rate"] = nullptr;
  if (d.cost_unknown > 0) {
    j["cost_unknown"] = d.cost_unknown;
    j["cost_estimated_usd"] =
        d.cost_estimated_usd ? nlohmann::json(*d.cost_estimated_usd) : nlohmann::json();
  }
  return j;
}

nlohmann::json settings_json(const MonitorSettings& s) {
  nlohmann::json j = {{"accuracy_floor", s.accuracy_floor},
                      {"min_labelled", s.min_labelled},
                      {"accuracy_rule", s.accuracy_rule},
                      {"consecutive_days", s.consecutive_days},
                      {"min_requests", s.min_requests},
                      {"max_error_rate", s.max_error_rate},
                      {"max_latency_p95_ms", nullptr},
                      {"max_usd_per_day", nullptr},
                      {"feedback_silence_hours", s.feedback_silence_hours},
                      {"traffic_silence_hours", s.traffic_silence_hours},
                      {"days", s.days}};
  if (s.max_latency_p95_ms) j["max_latency_p95_ms"] = *s.max_latency_p95_ms;
  if (s.max_usd_per_day) j["max_usd_per_day"] = *s.max_usd_per_day;
  return j;
}

std::string state_name(RuleState s) {
  return s == RuleState::firing    ? "firing"
         : s == RuleState::clear   ? "clear"
         : s == RuleState::holding ? "holding"
                                   : "unknown";
}

nlohmann::json alerts_json(const std::vector<Alert>& alerts, const std::string& event) {
  nlohmann::json out = nlohmann::json::array();
  for (const Alert& a : alerts) out.push_back(alert_event(a, event));
  return out;
}

int64_t requests_between(Store& store, int64_t from_ms, int64_t to_ms) {
  PilotQuery q;
  q.from_ms = from_ms;
  q.to_ms = to_ms;
  int64_t n = 0;
  for (const ArmFigures& a : store.pilot_counts(q).arms) n += a.requests;
  return n;
}

// When other versions than the approach's current champion served it: the current version, the
// [from, to) spans (ms) in which another was champion, read from the registry's events, and the
// last day such a span touches. nullopt when no other version ever served. Before its first
// "champion" event, a version served from the start (eval's model, registered at the first
// retrain). A rollback hands the approach back to the version it had: only the days of the
// rolled-back version are another's (they had all been, up to the rollback).
struct Replacement {
  std::string version;
  std::vector<std::pair<int64_t, int64_t>> others;
  int64_t last_day = 0;
  // Once read from the store (answered_by_others): the window's days another version answered.
  std::optional<std::set<int64_t>> answered_days;
  bool touches(int64_t day) const {
    if (answered_days) return answered_days->contains(day);
    for (const auto& [from, to] : others)
      if (from < (day + 1) * kDayMs && to > day * kDayMs) return true;
    return false;
  }
  // "days up to D" or "days A to B" (a span between a promotion and its rollback), joined.
  std::string spans() const {
    std::string out;
    if (answered_days) return day_spans(*answered_days);
    for (const auto& [from, to] : others) {
      if (to == std::numeric_limits<int64_t>::max()) continue;
      const std::string last = iso_date(day_of_ms(to - 1));
      const std::string span = from == std::numeric_limits<int64_t>::min()
                                   ? "days up to " + last
                                   : fmt::format("{} to {}", iso_date(day_of_ms(from)), last);
      out += (out.empty() ? "" : ", ") + span;
    }
    return out;
  }
};
std::optional<Replacement> champion_replacement(Store& store, const std::string& approach,
                                                int64_t now_ms) {
  std::string current;
  for (const ModelVersion& m : store.models(approach))
    if (m.status == ModelStatus::champion) current = m.version;
  if (current.empty()) return std::nullopt;
  // The champion events up to the run's clock: a run dated before a promotion (--now-ms) judges
  // the registry as it was then, its champion the last one named by then.
  std::vector<ModelEvent> events;
  for (ModelEvent& e : store.model_events(approach))
    if (e.event == "champion" && e.at_ms <= now_ms) events.push_back(std::move(e));
  if (!events.empty()) current = events.back().version;
  Replacement r{current, {}, 0, std::nullopt};
  std::string holder;
  int64_t since = std::numeric_limits<int64_t>::min();
  for (const ModelEvent& e : events) {
    if (e.version == holder) continue;
    if (holder.empty()) {
      holder = e.version;  // it served from the start
      continue;
    }
    if (holder != current) r.others.emplace_back(since, e.at_ms);
    holder = e.version;
    since = e.at_ms;
  }
  if (!holder.empty() && holder != current)
    r.others.emplace_back(since, std::numeric_limits<int64_t>::max());
  if (r.others.empty()) return std::nullopt;
  for (const auto& [from, to] : r.others)
    if (to != std::numeric_limits<int64_t>::max())
      r.last_day = std::max(r.last_day, day_of_ms(to - 1));
  return r;
}

// The days of the window the registry gives to another version, kept only where the store holds
// a prediction of another version that day: a rollback at 03:00 had cost the reinstated model
// the rest of its day. nullopt when no such day is left in the window.
std::optional<Replacement> answered_by_others(std::optional<Replacement> r, Store& store,
                                              const ApproachSeries& series) {
  if (!r) return r;
  std::set<int64_t> days;
  for (const DayPoint& d : series.days)
    if (r->touches(d.day) &&
        store.predictions_of_other_versions(series.approach, r->version, d.day * kDayMs,
                                            (d.day + 1) * kDayMs) > 0)
      days.insert(d.day);
  if (days.empty()) return std::nullopt;
  r->last_day = *days.rbegin();
  r->answered_days = std::move(days);
  return r;
}

// The accuracy rule judges the model being served: the days another version answered, wholly
// or in part, are marked replaced_model and not counted (their labels, arriving late, had
// reopened the alert, and made a retrain due, about a model already replaced). The replacement
// when such a day had counted, for the finding to name the version it judged.
std::optional<Replacement> judge_the_served_model(std::optional<Replacement> r,
                                                  ApproachSeries& series) {
  if (!r || series.days.empty()) return std::nullopt;
  bool cut = false, any = false;
  for (DayPoint& d : series.days) {
    if (!r->touches(d.day)) continue;
    any = true;
    cut = cut || d.counted;
    d.counted = false;
    d.replaced_model = true;
  }
  if (!any) return std::nullopt;
  series.judged_from = iso_date(r->last_day + 1);
  series.model_version = r->version;
  return cut ? r : std::nullopt;
}

}  // namespace

nlohmann::json to_json(const ApproachSeries& series) {
  nlohmann::json days = nlohmann::json::array();
  for (std::size_t i = 0; i < series.days.size(); ++i)
    days.push_back(day_json(series.days[i], static_cast<int64_t>(i)));
  nlohmann::json j = {{"name", series.name},
                      {"approach", series.approach},
                      {"arm", std::string(arm_name(series.arm))},
                      {"basis", series.simulated ? "simulated" : "measured"},
                      {"requests", series.requests},
                      {"labelled", series.labelled},
                      {"accuracy", nullptr},
                      {"days", days}};
  if (!series.judged_from.empty()) {
    j["judged_from"] = series.judged_from;
    j["model_version"] = series.model_version;
    // The totals above are every version's; these, the days the version now served answered
    // alone (its tag had stood beside totals that were mostly the replaced model's).
    int64_t requests = 0, labelled = 0, correct = 0;
    for (const DayPoint& d : series.days) {
      if (d.replaced_model) continue;
      requests += d.requests;
      labelled += d.labelled;
      correct += d.correct;
    }
    nlohmann::json served = {{"model_version", series.model_version},
                             {"requests", requests},
                             {"labelled", labelled},
                             {"accuracy", nullptr}};
    if (labelled > 0) {
      served["accuracy"] = static_cast<double>(correct) / static_cast<double>(labelled);
      Interval ci =
          wilson_interval(static_cast<std::size_t>(correct), static_cast<std::size_t>(labelled));
      served["accuracy_ci95"] = {ci.lo, ci.hi};
    }
    j["served_version"] = served;
  }
  if (series.labelled > 0) {
    j["accuracy"] = static_cast<double>(series.correct) / static_cast<double>(series.labelled);
    Interval ci = wilson_interval(static_cast<std::size_t>(series.correct),
                                  static_cast<std::size_t>(series.labelled));
    j["accuracy_ci95"] = {ci.lo, ci.hi};
  }
  // Recall by gold label (the share of its labelled items answered right), over the window and
  // its last days, with a Wilson interval: which labels an accuracy alert is about.
  auto recall = [](int64_t correct, int64_t labelled) -> nlohmann::json {
    if (labelled <= 0) return {{"labelled", 0}, {"recall", nullptr}};
    Interval ci =
        wilson_interval(static_cast<std::size_t>(correct), static_cast<std::size_t>(labelled));
    return {{"labelled", labelled},
            {"recall", static_cast<double>(correct) / static_cast<double>(labelled)},
            {"recall_ci95", {ci.lo, ci.hi}}};
  };
  nlohmann::json labels = nlohmann::json::array();
  for (const LabelPoint& l : series.labels)
    labels.push_back({{"label", l.label},
                      {"window", recall(l.correct, l.labelled)},
                      {"recent", recall(l.recent_correct, l.recent_labelled)}});
  j["labels"] = labels;
  nlohmann::json confusions = nlohmann::json::array();
  for (const ConfusionPoint& c : series.confusions)
    confusions.push_back({{"gold", c.gold}, {"predicted", c.predicted}, {"count", c.count}});
  j["confusions_recent"] = confusions;
  j["recent_days"] = kRecentDays;
  return j;
}

DailyQuery monitor_window(const MonitorSettings& settings, int64_t now_ms) {
  DailyQuery q;
  q.end_day = day_of_ms(now_ms);  // today is not complete: it ends the window, excluded
  q.first_day = q.end_day - settings.days;
  q.min_labelled = settings.min_labelled;
  return q;
}

MonitorRun run_monitor(Store& store, const MonitorSettings& settings, const MonitorRequest& request,
                       const AlertOutputs& outputs) {
  DailyQuery window = monitor_window(settings, request.now_ms);
  window.approaches = request.approaches;
  std::vector<ApproachSeries> series = daily_figures(store, window);

  std::vector<Finding> findings;
  std::map<std::string, VersionChange> changes;  // approaches whose model version changed
  for (ApproachSeries& s : series) {
    std::optional<Replacement> registry = champion_replacement(store, s.approach, request.now_ms);
    // The drift detectors' prediction mix compares the served version's answers only: the days
    // of the drift windows another version answered are found there (they may reach before this
    // window).
    if (registry) changes[s.approach] = {registry->version, registry->others};
    // When the served version took over: an accuracy alert open since before then was about
    // the model it replaced (apply_findings).
    std::optional<int64_t> served_since;
    if (registry)
      for (const auto& [from, to] : registry->others)
        if (to != std::numeric_limits<int64_t>::max())
          served_since = std::max(served_since.value_or(to), to);
    const std::string served_version = registry ? registry->version : "";
    std::optional<Replacement> replaced = answered_by_others(std::move(registry), store, s);
    std::optional<Replacement> r = judge_the_served_model(std::move(replaced), s);
    std::vector<Finding> f = evaluate_series(s, settings);
    for (Finding& x : f) {
      if (x.kind == kAccuracyBelowFloor && served_since) {
        x.details["served_since_ms"] = *served_since;
        x.details["model_version"] = served_version;
      }
      if (x.kind != kAccuracyBelowFloor || !r) continue;
      x.details["judged_from"] = iso_date(r->last_day + 1);
      x.details["model_version"] = r->version;
      x.message += fmt::format(
          "; judged on the days served by version {} only ({}, answered wholly or in part by "
          "another version, are not judged)",
          r->version.substr(0, 12), r->spans());
    }
    findings.insert(findings.end(), f.begin(), f.end());
  }
  auto silence_ms = static_cast<int64_t>(settings.feedback_silence_hours * 3'600'000.0);
  std::optional<int64_t> last_feedback = store.last_feedback_at_ms();
  findings.push_back(evaluate_feedback(
      request.now_ms, last_feedback,
      requests_between(store, request.now_ms - silence_ms, request.now_ms),
      requests_between(store, last_feedback.value_or(0), request.now_ms - silence_ms), settings));
  const auto quiet_ms = static_cast<int64_t>(settings.traffic_silence_hours * 3'600'000.0);
  findings.push_back(evaluate_traffic(
      request.now_ms, requests_between(store, request.now_ms - quiet_ms, request.now_ms),
      requests_between(store, 0, request.now_ms - quiet_ms), settings));

  nlohmann::json doc = {{"generated_at_ms", request.now_ms},
                        {"window",
                         {{"first_date", iso_date(window.first_day)},
                          {"last_date", iso_date(window.end_day - 1)},
                          {"days", window.end_day - window.first_day}}},
                        {"settings", settings_json(settings)},
                        {"provenance", "measured: the store's logged predictions and feedback"}};
  for (const ApproachSeries& s : series)
    if (s.simulated)
      doc["provenance"] =
          "measured: the store's logged predictions and feedback; simulated where an approach's "
          "basis says so (its answers came from sim-llm, the offline stand-in)";
  nlohmann::json approaches = nlohmann::json::array();
  for (const ApproachSeries& s : series) approaches.push_back(to_json(s));
  doc["approaches"] = approaches;
  // Traffic in the window of approaches the config does not name: a store written under another
  // config, or an approach renamed. This report leaves them out, and says so.
  {
    PilotQuery q;
    q.from_ms = window.first_day * kDayMs;
    q.to_ms = (window.end_day + 1) * kDayMs;
    std::set<std::string> named(request.approaches.begin(), request.approaches.end()), others;
    for (const ArmFigures& a : store.pilot_counts(q).arms)
      if (a.requests > 0 && !named.count(a.approach)) others.insert(a.approach);
    doc["other_approaches"] = others;
  }
  // Today so far: shown, never judged (a partial day would fire the volume and accuracy rules
  // every morning). A store that only has today's traffic is not an empty report.
  DailyQuery today = window;
  today.first_day = window.end_day;
  today.end_day = window.end_day + 1;
  // Up to and including the report's own instant: a request logged at it (the last one of a
  // replay, which ends the replay's clock) had been left out, one short of the pilot report.
  today.until_ms = request.now_ms + 1;
  nlohmann::json partial = nlohmann::json::array();
  for (const ApproachSeries& s : daily_figures(store, today)) {
    if (s.requests == 0) continue;
    nlohmann::json day = day_json(s.days.front(), 0);
    day.erase("day_index");
    day["name"] = s.name;
    day["approach"] = s.approach;
    day["arm"] = std::string(arm_name(s.arm));
    // Today's figures say where they come from too: a pilot's first day, answered by sim-llm,
    // had read "measured" with nothing in the window to mark it.
    day["basis"] = s.simulated ? "simulated" : "measured";
    if (s.simulated)
      doc["provenance"] =
          "measured: the store's logged predictions and feedback; simulated where an approach's "
          "basis says so (its answers came from sim-llm, the offline stand-in)";
    partial.push_back(day);
  }
  doc["today"] = {
      {"date", iso_date(today.first_day)},
      {"hours_elapsed", double(request.now_ms - today.first_day * kDayMs) / 3'600'000.0},
      {"judged", false},
      {"approaches", partial}};
  doc["feedback"] = {{"last_at_ms", nullptr}, {"hours_since", nullptr}};
  if (last_feedback) {
    doc["feedback"]["last_at_ms"] = *last_feedback;
    doc["feedback"]["hours_since"] =
        static_cast<double>(request.now_ms - *last_feedback) / 3'600'000.0;
  }
  if (request.drift) {
    DriftReport drift =
        detect_drift(store, settings, request.now_ms, request.training_texts, changes);
    findings.insert(findings.end(), drift.findings.begin(), drift.findings.end());
    doc["drift"] = drift.document;
  }
  nlohmann::json findings_json = nlohmann::json::array();
  for (const Finding& f : findings)
    findings_json.push_back({{"kind", f.kind},
                             {"approach", f.approach},
                             {"state", state_name(f.state)},
                             {"message", f.message},
                             {"details", f.details}});
  doc["findings"] = findings_json;

  MonitorRun run;
  run.alerts = apply_findings(store, findings, request.now_ms, outputs);
  doc["alerts"] = {{"fired", alerts_json(run.alerts.fired, "fired")},
                   {"resolved", alerts_json(run.alerts.resolved, "resolved")},
                   {"open", alerts_json(run.alerts.open, "open")}};
  // An open alert's message is the one it fired with; beside it, what this run found (`now`),
  // or weeks into an alert the report repeats the first day's figure as if it were today's.
  for (auto& open : doc["alerts"]["open"])
    for (const Finding& f : findings)
      if (f.kind == open.value("kind", "") && f.approach == open.value("approach", ""))
        open["now"] = f.message;
  nlohmann::json retrain = nlohmann::json::array();
  for (const std::string& approach : request.local_approaches) {
    Due due = retrain_due(request.retrain, store, approach, request.now_ms);
    retrain.push_back({{"approach", approach}, {"due", due.due}, {"why", due.why}});
  }
  doc["retrain"] = retrain;
  // The floor its alerts judged by, for the dashboard's chart (the gateway's own config may
  // differ from the one the monitor ran with).
  nlohmann::json latest = {{"ran_at_ms", request.now_ms},
                           {"policy", request.policy},
                           {"retrain", retrain},
                           {"accuracy_floor", settings.accuracy_floor}};
  if (doc.contains("drift")) latest["drift"] = doc["drift"];
  store.set_meta("monitor.latest", latest.dump());
  run.document = std::move(doc);
  return run;
}

}  // namespace tunecase::monitor
