#include "tunecase/economics/decision_json.h"

#include <algorithm>

#include "tunecase/economics/memo_tables.h"

namespace tunecase::econ {
namespace {

using nlohmann::json;

// A value of nothing times a negative figure is -0.0, which a reader of the file may print as
// "-0": every zero in decision.json is written as 0.
void positive_zeros(json& j) {
  if (j.is_number_float() && j.get<double>() == 0) {
    j = 0.0;
  } else if (j.is_structured()) {
    for (auto& item : j) positive_zeros(item);
  }
}

json optional_number(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

// Where a derived figure comes from, for the figures decision.json keeps as bare numbers:
// {"source": "estimated", "simulated": true}.
json provenance_json(const Figure& f) {
  return {{"source", to_string(f.source)}, {"simulated", f.simulated}};
}

json business_json(const BusinessInputs& b) {
  json j;
  j["queries_per_month"] = to_json(b.queries_per_month);
  j[b.harmful_mode ? "cost_per_incident_usd" : "cost_per_error_usd"] = to_json(b.cost_per_error);
  if (b.harmful_error_rate && b.cost_per_incident_usd)
    j["cost_per_error_from"] = {{"harmful_error_rate", *b.harmful_error_rate},
                                {"cost_per_incident_usd", *b.cost_per_incident_usd},
                                {"source", "assumed"}};
  if (!b.cost_by_label.empty()) {
    json by_label = json::object();
    for (const auto& [label, usd] : b.cost_by_label) by_label[label] = usd;
    j["cost_per_error_by_label"] = {{"usd", by_label}, {"source", "assumed"}};
  }
  j["engineer_usd_per_week"] = to_json(b.engineer_usd_per_week);
  j["horizon_months"] = to_json(b.horizon_months);
  j["monitoring_usd_per_month"] = to_json(b.monitoring_usd_per_month);
  j["utilisation"] = to_json(b.utilisation);
  j["days_per_month"] = b.days_per_month;
  j["baseline"] = b.baseline;
  j["labelled_examples"] = to_json(b.labelled_examples);
  return j;
}

json approach_json(const ApproachInputs& a, const ApproachResult& r, double queries_per_month) {
  json in;
  in["accuracy"] = to_json(a.accuracy);
  in["error_rate"] = to_json(a.error_rate);
  in["error_rate_interval"] = {to_json(a.error_rate_low), to_json(a.error_rate_high)};
  // With per-label costs: what one of its errors costs on average, its test errors priced by
  // their true labels (assumed costs over a measured mix: assumed, by the weakest tag).
  if (a.mean_error_cost_usd)
    in["mean_error_cost_usd"] =
        to_json(Figure{*a.mean_error_cost_usd, Source::assumed, a.accuracy.simulated});
  in["usd_per_query"] = to_json(a.usd_per_query);
  in["hosting_usd_per_month"] = to_json(a.hosting_usd_per_month);
  // The memo's "effective" price of a fixed bill: (bill + per-query price x volume) / volume,
  // tagged as the bill (usd_per_query alone reads $0 for a self-hosted model).
  if (a.hosting_usd_per_month.get() > 0 && queries_per_month > 0 && a.usd_per_query.known())
    in["effective_usd_per_query"] =
        to_json(Figure{a.hosting_usd_per_month.get() / queries_per_month + a.usd_per_query.get(),
                       a.hosting_usd_per_month.source, a.hosting_usd_per_month.simulated});
  in["training_usd"] = to_json(a.training_usd);
  in["engineering_weeks"] = to_json(a.engineering_weeks);
  in["retrain_every_months"] = to_json(a.retrain_every_months);
  in["retrain_usd"] = to_json(a.retrain_usd);
  in["maintenance_weeks_per_month"] = to_json(a.maintenance_weeks_per_month);
  in["monitoring_usd_per_month"] = to_json(a.monitoring_usd_per_month);
  in["time_to_ship_weeks"] = to_json(a.time_to_ship_weeks);
  in["throughput_per_s"] = to_json(a.throughput_per_s);
  in["latency_p50_ms"] = to_json(a.latency_p50_ms);
  json cost;
  cost["one_time"] = to_json(r.cost.one_time);
  cost["training"] = to_json(r.cost.training);
  cost["engineering"] = to_json(r.cost.engineering);
  cost["inference_per_month"] = to_json(r.cost.inference_per_month);
  cost["hosting_per_month"] = to_json(r.cost.hosting_per_month);
  cost["retraining_per_month"] = to_json(r.cost.retraining_per_month);
  cost["monitoring_per_month"] = to_json(r.cost.monitoring_per_month);
  cost["maintenance_per_month"] = to_json(r.cost.maintenance_per_month);
  cost["recurring_per_month"] = to_json(r.cost.recurring_per_month);
  cost["ship_months"] = to_json(r.cost.ship_months);
  cost["over_horizon"] = to_json(r.horizon_cost);
  cost["extra_over_baseline"] = to_json(r.extra_cost);
  json j{{"name", a.name},
         {"kind", a.kind},
         {"trained", a.trained},
         {"baseline", r.is_baseline},
         {"cost_basis", a.cost_basis},
         {"defaults_used", a.defaults_used},
         {"inputs", in},
         {"cost", cost}};
  j["errors_per_month"] = to_json(r.errors_per_month);
  j["value_per_month"] = to_json(r.value_per_month);
  j["value"] = to_json(r.value);
  j["cost_of_delay"] = to_json(r.cost_of_delay);
  j["net_benefit"] = to_json(r.net);
  j["net_benefit_interval"] = {to_json(r.net_low), to_json(r.net_high)};
  j["payback_months"] = optional_number(r.payback_months);
  j["payback_source"] = provenance_json(net_source(r));
  return j;
}

json break_even_json(const Decision& d, const BreakEven& be) {
  static const char* names[] = {"at_volume", "never", "unknown"};
  json j{{"a", be.a}, {"b", be.b}, {"crossing", names[static_cast<int>(be.crossing)]}};
  j["queries_per_month"] =
      be.crossing == Crossing::at_volume ? json(be.queries_per_month) : json(nullptr);
  j["cheaper_below"] = be.cheaper_below;
  j["cheaper_above"] = be.cheaper_above;
  j["source"] = provenance_json(running_cost_source(d, be.a, be.b));
  return j;
}

json sensitivity_json(const Decision& d) {
  const Sensitivity& s = d.sensitivity;
  json rows = json::array();
  for (const auto& r : s.rows) {
    rows.push_back({{"input", r.input},
                    {"base_value", r.base_value},
                    {"value_at_minus_50", r.low_value},
                    {"value_at_plus_50", r.high_value},
                    {"matters", r.matters},
                    {"pick_at_minus_50", r.pick_low},
                    {"pick_at_plus_50", r.pick_high},
                    {"net_at_minus_50", r.net_low},
                    {"net_at_plus_50", r.net_high},
                    {"flips", r.flips}});
  }
  // The nets are the watched approach's net benefit computed again: derived as it is.
  json nets_source = nullptr;
  for (const auto& r : d.analysis.results)
    if (r.name == s.watched) nets_source = provenance_json(net_source(r));
  return {{"base_pick", s.base_pick},   {"watched", s.watched},     {"base_net", s.base_net},
          {"nets_source", nets_source}, {"threshold", s.threshold}, {"rows", rows}};
}

json checklist_json(const Checklist& c) {
  json items = json::array();
  for (const auto& i : c.items) {
    items.push_back({{"question", i.question},
                     {"answer", i.answer ? json(*i.answer) : json(nullptr)},
                     {"evidence", i.evidence},
                     {"source", i.source}});
  }
  return {{"items", items},
          {"score", c.score},
          {"verdict", c.verdict},
          {"verdict_text", checklist_verdict_text(c.verdict)},
          {"economics_note", c.economics_note}};
}

json pilot_json(const PilotPlan& p) {
  // The offline rates, the gain and the sample size rest on the two arms' measurements (or
  // assumptions); the thresholds are derived from them and the business inputs.
  if (!p.needed) return nullptr;
  return {{"approach", p.approach},
          {"against", p.against},
          {"traffic_share", p.traffic_share},
          {"days", p.days},
          {"queries_per_arm", p.queries_per_arm},
          {"difference_detectable", p.difference_detectable},
          // Every query labelled: what the planned days bring in per arm, and whether a call
          // (30 per arm at least) can be made in them.
          {"labelled_per_arm_in_days", p.collected_per_arm},
          {"callable_in_days", p.callable},
          {"days_for_a_call", optional_number(p.days_for_a_call)},
          {"outlasts_horizon", p.days > p.horizon_days},
          {"thresholds_are", p.accuracy_mode ? "error rate (1 - accuracy)" : "harmful-error rate"},
          {"expected_error_rate", p.expected_rate},
          {"baseline_error_rate", p.baseline_rate},
          {"offline_rates_source", provenance_json(p.offline_rates)},
          // null: no rate is a clear win (or worse), as judge_pilot judges it.
          {"clear_win_at_or_below", optional_number(p.clear_win_rate)},
          // Worse is judged as serve judges it (judge_pilot): above the baseline's rate, and by
          // more than a cheaper challenger's savings pay for.
          {"worse_at_or_above", optional_number(p.worse_rate)},
          {"rule", to_json(p.rule)}};
}

}  // namespace

nlohmann::json decision_json(const Decision& d) {
  const Scenario& s = d.scenario;
  json j;
  j["mode"] = s.from_eval ? "eval" : "scenario";
  j["simulated"] = s.simulated;
  j["business"] = business_json(s.business);
  j["at_risk_over_horizon"] = to_json(d.analysis.at_risk);
  j["keep_baseline_cost_over_horizon"] = to_json(d.analysis.keep_baseline_cost);
  j["net_benefit_is"] =
      "gain over keeping the baseline: value - (cost over horizon - keeping cost)";
  j["approaches"] = json::array();
  for (size_t i = 0; i < s.approaches.size(); ++i)
    j["approaches"].push_back(
        approach_json(s.approaches[i], d.analysis.results[i], s.business.queries_per_month.get()));
  j["unsettled_rankings"] = json::array();
  for (const auto& u : d.analysis.unsettled)
    j["unsettled_rankings"].push_back(
        {{"a", u.a}, {"b", u.b}, {"mcnemar_p", optional_number(u.mcnemar_p)}});
  j["break_even"] = json::array();
  for (const auto& be : d.break_evens) j["break_even"].push_back(break_even_json(d, be));
  j["sensitivity"] = sensitivity_json(d);
  j["what_it_takes"] = json::array();
  for (const auto& w : d.what_it_takes) {
    j["what_it_takes"].push_back(
        {{"trained", w.trained},
         {"prompting", w.prompting},
         {"already_ahead", w.already_ahead},
         {"required_error_rate", optional_number(w.required_error_rate)},
         {"required_queries_per_month", optional_number(w.required_queries_per_month)},
         {"source", provenance_json(what_it_takes_source(d, w))}});
  }
  j["checklist"] = checklist_json(d.checklist);
  j["recommendation"] = {{"approach", d.pick.empty() ? json(nullptr) : json(d.pick)},
                         {"headline", d.headline},
                         {"reasons", d.reasons},
                         {"risks", d.risks},
                         {"warnings", d.warnings},
                         {"next_step", d.next_step},
                         {"pilot", pilot_json(d.pilot)}};
  positive_zeros(j);
  return j;
}

}  // namespace tunecase::econ
