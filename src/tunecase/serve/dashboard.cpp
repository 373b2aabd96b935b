#include "tunecase/serve/dashboard.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "tunecase/core/utc_time.h"
#include "tunecase/stats/proportion.h"

namespace tunecase::serve {
namespace {

using json = nlohmann::json;

// One day of one approach, both arms summed (an approach promoted mid-day served both).
struct DayRow {
  int64_t requests = 0, labelled = 0, correct = 0, errors = 0, timeouts = 0, fallbacks = 0;
  double cost_usd = 0;
  bool costed = false;
  int64_t cost_unknown = 0;       // answered requests whose API reported no usage
  double cost_estimated_usd = 0;  // with those at their arm's mean known cost
  bool estimable = true;          // no arm of the day had unknown costs alone
  // The p95 of the arm that served most of the day's requests: percentiles of two arms do not
  // add, and the minority arm's share is small in every pilot mode.
  double p95_ms = 0;
  int64_t p95_of = 0;
};

json day_rows(const std::vector<DayFigures>& days, const std::set<std::string>& simulated,
              const std::set<std::string>& priced) {
  std::map<std::tuple<int64_t, std::string>, DayRow> rows;
  for (const auto& d : days) {
    DayRow& r = rows[{d.day, d.approach}];
    r.requests += d.requests;
    r.labelled += d.labelled;
    r.correct += d.correct;
    r.errors += d.errors;
    r.timeouts += d.timeouts;
    r.fallbacks += d.fallbacks;
    r.cost_usd += d.cost_usd;
    const int64_t unknown = cost_unknown(d.requests, d.errors, d.costed, d.costed_errors,
                                         d.unpriced_attempts, priced.count(d.approach));
    r.cost_unknown += unknown;
    const std::optional<double> spend =
        estimated_cost_usd(d.cost_usd, d.costed - d.cached, unknown);
    r.cost_estimated_usd += spend.value_or(0);
    r.estimable = r.estimable && spend.has_value();
    // A cost carried (tokens without a price are no cost: shown $0.00, they had read as free).
    r.costed = r.costed || d.costed > 0;
    if (d.latency.n > r.p95_of) {
      r.p95_of = d.latency.n;
      r.p95_ms = d.latency.p95;
    }
  }
  json out = json::array();
  for (const auto& [key, r] : rows) {
    const auto& [day, approach] = key;
    json row = {{"day", day},
                {"date_ms", day * kMsPerDay},
                {"approach", approach},
                {"basis", simulated.count(approach) ? "simulated" : "measured"},
                {"requests", r.requests},
                {"labelled", r.labelled},
                {"correct", r.correct},
                {"accuracy", nullptr},
                {"accuracy_ci95", nullptr},
                {"latency_p95_ms", r.p95_of ? json(r.p95_ms) : json(nullptr)},
                {"errors", r.errors},
                {"timeouts", r.timeouts},
                {"fallbacks", r.fallbacks},
                {"cost_usd", r.costed ? json(r.cost_usd) : json(nullptr)}};
    if (r.cost_unknown > 0) {
      row["cost_unknown"] = r.cost_unknown;
      row["cost_estimated_usd"] = r.estimable ? json(r.cost_estimated_usd) : json(nullptr);
    }
    if (r.labelled > 0) {
      Interval ci = wilson_interval(r.correct, r.labelled);  // Wilson score interval
      row["accuracy"] = double(r.correct) / r.labelled;
      row["accuracy_ci95"] = {ci.lo, ci.hi};
    }
    out.push_back(std::move(row));
  }
  return out;
}

json model_rows(const std::vector<ModelVersion>& models) {
  json out = json::array();
  for (const auto& m : models) {
    out.push_back({{"approach", m.approach},
                   {"version", m.version},
                   {"status", model_status_name(m.status)},
                   {"created_at_ms", m.created_at_ms},
                   {"promoted_at_ms", m.promoted_at_ms ? json(*m.promoted_at_ms) : json(nullptr)},
                   {"promoted_by", m.promoted_by},
                   {"data_fingerprint", m.data_fingerprint}});
  }
  return out;
}

// Every time a version became champion, from the registry's history (oldest first): a version's
// row keeps only its last promotion, so a rollback to it had hidden the promotion before. One
// made by `tunecase models rollback` is marked as a rollback.
json champion_events(const std::vector<ModelEvent>& history) {
  json events = json::array();
  for (const auto& e : history) {
    if (e.event != model_status_name(ModelStatus::champion)) continue;
    events.push_back({{"at_ms", e.at_ms},
                      {"kind", e.by.rfind("rollback", 0) == 0 ? "rollback" : "promoted"},
                      {"approach", e.approach},
                      {"version", e.version}});
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const json& a, const json& b) { return a["at_ms"] < b["at_ms"]; });
  return events;
}

json alert_rows(const std::vector<Alert>& alerts) {
  json out = json::array();
  for (const auto& a : alerts)
    out.push_back({{"id", a.id},
                   {"kind", a.kind},
                   {"approach", a.approach},
                   {"fired_at_ms", a.fired_at_ms},
                   {"message", a.message},
                   {"details", json::parse(a.details_json, nullptr, false)}});
  return out;
}

const json* find_value(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return nullptr;
    at = &(*at)[key];
  }
  return at->is_number() ? at : nullptr;
}

// A figure of decision.json ({"value": …, "source": …}) as the dashboard shows it.
json assumed(const json& figure) {
  const json* v = find_value(figure, {"value"});
  if (!v) return nullptr;
  return {{"value", *v},
          {"source", figure.value("source", "assumed")},
          {"simulated", figure.value("simulated", false)}};
}

// The memo's running cost of one query: its price per query, plus for a self-hosted model its
// monthly hosting bill over the month's volume (the price alone, $0, had shown a hosted model as
// free). Its source is the weakest of the figures it is made of.
json memo_cost_per_query(const json& decision, const json& approach) {
  const json& in = approach["inputs"];
  json per_query = in.contains("usd_per_query") ? assumed(in["usd_per_query"]) : json(nullptr);
  const json* hosting = find_value(approach, {"cost", "hosting_per_month", "value"});
  const json* volume = find_value(decision, {"business", "queries_per_month", "value"});
  if (!hosting || !volume || volume->get<double>() <= 0 || hosting->get<double>() <= 0)
    return per_query;
  const json& bill = approach["cost"]["hosting_per_month"];
  const json& month = decision["business"]["queries_per_month"];
  auto rank = [](const std::string& source) {
    return source == "measured" ? 0 : source == "estimated" ? 1 : 2;
  };
  std::string source = bill.value("source", "assumed");
  for (const json* f :
       {&month, per_query.is_object() ? static_cast<const json*>(&per_query) : nullptr})
    if (f && rank(f->value("source", "assumed")) > rank(source))
      source = f->value("source", "assumed");
  const double price = per_query.is_object() ? per_query["value"].get<double>() : 0.0;
  return {{"value", price + hosting->get<double>() / volume->get<double>()},
          {"source", source},
          {"simulated", bill.value("simulated", false) ||
                            (per_query.is_object() && per_query.value("simulated", false))},
          {"includes", "hosting per month over the month's queries"}};
}

}  // namespace

json assumed_vs_measured(const json& decision, const json& pilot) {
  json rows = json::array();
  if (!decision.is_object() || !decision.contains("approaches")) return rows;
  for (const auto& arm : pilot.value("arms", json::array())) {
    const std::string name = arm.value("approach", "");
    for (const auto& a : decision["approaches"]) {
      if (a.value("name", "") != name || !a.contains("inputs")) continue;
      const json& in = a["inputs"];
      json measured_usd = nullptr;
      if (arm.contains("usd_per_1k") && arm["usd_per_1k"].is_number())
        measured_usd = arm["usd_per_1k"].get<double>() / 1000.0;
      rows.push_back({{"approach", name},
                      {"role", arm.value("role", "")},
                      {"basis", arm.value("basis", "measured")},
                      {"accuracy",
                       {{"memo", in.contains("accuracy") ? assumed(in["accuracy"]) : json(nullptr)},
                        {"pilot", arm.value("accuracy", json(nullptr))},
                        {"pilot_ci95", arm.value("accuracy_ci95", json(nullptr))},
                        {"pilot_labelled", arm.value("labelled", 0)}}},
                      {"usd_per_query",
                       {{"memo", memo_cost_per_query(decision, a)},
                        {"pilot", measured_usd},
                        {"pilot_requests", arm.value("requests", 0)}}}});
    }
  }
  return rows;
}

json pilot_volume(const json& decision, const json& pilot, int64_t now_ms, int64_t started_at_ms) {
  const json* per_month = find_value(decision, {"business", "queries_per_month", "value"});
  if (per_month == nullptr) return nullptr;
  double days_per_month = decision["business"].value("days_per_month", 30.0);
  // In shadow mode the challenger answers the champion's own requests off the response path:
  // the traffic is the champion's alone (the arms' sum had read twice the requests sent).
  const bool shadow = pilot.value("mode", std::string()) == "shadow";
  int64_t requests = 0;
  for (const auto& arm : pilot["arms"])
    if (!shadow || arm.value("role", std::string()) == "champion")
      requests += arm.value("requests", int64_t{0});
  double elapsed_days = double(now_ms - started_at_ms) / double(kMsPerDay);
  return {{"memo_per_day", per_month->get<double>() / days_per_month},
          {"memo_source", decision["business"]["queries_per_month"].value("source", "assumed")},
          {"pilot_requests", requests},
          {"mode", pilot.value("mode", std::string())},
          {"pilot_days", elapsed_days},
          // Over an hour at least, as the arms' $ per day is: 400 requests in the first
          // seconds had read as eleven million a day, measured.
          {"pilot_per_day",
           elapsed_days > 0 ? json(requests / std::max(1.0 / 24, elapsed_days)) : json(nullptr)}};
}

json dashboard_data(Store& store, const PilotPlan& plan, const ReportContext& report,
                    const DashboardContext& context) {
  json pilot = pilot_report(store, plan, report);
  std::set<std::string> simulated;
  for (const auto& arm : pilot["arms"])
    if (arm.value("basis", "") == "simulated") simulated.insert(arm.value("approach", ""));

  // Whole days come from the day roll-ups, so asking from the beginning costs one row per day and
  // approach. The last history_days days that have data are kept: a store replayed from last
  // year still shows its days.
  PilotQuery history;
  history.to_ms = report.now_ms + 1;  // what was logged at this very millisecond too
  history.breakdowns = false;
  PilotCounts counts = store.pilot_counts(history);
  if (!counts.days.empty()) {
    int64_t last = 0;
    for (const auto& d : counts.days) last = std::max(last, d.day);
    std::erase_if(counts.days,
                  [&](const DayFigures& d) { return d.day <= last - context.history_days; });
  }
  for (const auto& a : counts.arms)
    if (a.simulated > 0) simulated.insert(a.approach);

  json out = {
      {"now_ms", report.now_ms},
      {"pilot", pilot},
      {"days", day_rows(counts.days, simulated, priced_approaches(store))},
      {"models", model_rows(store.models(""))},
      {"events", champion_events(store.model_events(""))},
      {"alerts", alert_rows(store.alerts(true))},
      {"accuracy_floor", context.accuracy_floor ? json(*context.accuracy_floor) : json(nullptr)},
      {"memo", context.memo_available ? json("/memo") : json(nullptr)},
      {"operation_plan", context.plan_available ? json("/plan") : json(nullptr)},
      {"monitoring", nullptr}};
  if (auto latest = store.meta("monitor.latest")) {
    json m = json::parse(*latest, nullptr, false);
    if (m.is_object()) out["monitoring"] = std::move(m);
  }

  json volume = pilot_volume(context.decision, pilot, report.now_ms, report.started_at_ms);
  // The memo's charts colour its approaches by their order in decision.json: the page follows it,
  // so an approach keeps its colour from the memo to the live page.
  json colour_order = json::array();
  if (context.decision.is_object() && context.decision.contains("approaches") &&
      context.decision["approaches"].is_array())
    for (const auto& a : context.decision["approaches"])
      if (a.is_object() && a.contains("name") && a["name"].is_string())
        colour_order.push_back(a["name"]);
  out["colour_order"] = colour_order;
  out["context"] = {
      {"approaches", assumed_vs_measured(context.decision, pilot)},
      {"volume", volume},
      {"recommendation", context.decision.is_object() && context.decision.contains("recommendation")
                             ? context.decision["recommendation"].value("headline", "")
                             : ""}};
  return out;
}

}  // namespace tunecase::serve
