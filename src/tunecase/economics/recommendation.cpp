#include "tunecase/economics/recommendation.h"

#include <fmt/format.h>

#include "tunecase/economics/money.h"

namespace tunecase::econ {
namespace {

std::string rate_text(const Scenario& s, double rate) {
  return s.business.harmful_mode ? percent(rate) + " harmful" : percent(1 - rate) + " accuracy";
}

// "A reaches 84% of B's gain for 12% of its cost", against the trained approach worth most.
void cheaper_alternative_reason(const Decision& d, const ApproachResult& pick,
                                std::vector<std::string>& reasons) {
  const ApproachResult* rival = nullptr;
  for (const auto& r : d.analysis.results) {
    if (r.name == pick.name || !r.trained || !r.value.known() || !r.horizon_cost.known()) continue;
    if (r.value.get() <= pick.value.get() || r.horizon_cost.get() <= pick.horizon_cost.get())
      continue;
    if (!rival || r.value.get() > rival->value.get()) rival = &r;
  }
  if (!rival || rival->value.get() <= 0 || pick.value.get() <= 0) return;
  reasons.push_back(
      fmt::format("{} earns {} of the value of {} for {} of its cost over the "
                  "horizon.",
                  pick.name, percent(pick.value.get() / rival->value.get()), rival->name,
                  percent(pick.horizon_cost.get() / rival->horizon_cost.get())));
}

void add_reasons(Decision& d, const ApproachResult& pick) {
  const Scenario& s = d.scenario;
  int months = static_cast<int>(s.business.horizon_months.get());
  d.reasons.push_back(
      fmt::format("{} has the highest net benefit over {} months: {} (value {} minus cost {}).",
                  pick.name, months, money(pick.net), money(pick.value), money(pick.horizon_cost)));
  cheaper_alternative_reason(d, pick, d.reasons);
  for (const auto& r : d.analysis.results) {
    if (r.name != pick.name && !r.net.known())
      d.reasons.push_back(fmt::format("{} is not ranked: its price is UNKNOWN.", r.name));
  }
  d.reasons.push_back(fmt::format("The checklist scores {} of 6, which says: {}.",
                                  d.checklist.score, d.checklist.verdict));
  int flips = 0;
  for (const auto& row : d.sensitivity.rows) flips += row.flips ? 1 : 0;
  d.reasons.push_back(flips == 0 ? "No assumed input flips this choice when moved by 50% "
                                   "either way."
                                 : fmt::format("{} assumed input(s) flip this choice when moved "
                                               "by 50%: see the sensitivity table.",
                                               flips));
}

void add_risks(Decision& d, const ApproachResult& pick) {
  const Scenario& s = d.scenario;
  const ApproachInputs& in = s.approaches[*d.analysis.best];
  if (!s.from_eval)
    d.risks.push_back(
        "Every accuracy here is ASSUMED (scenario mode): measure the approaches on "
        "your labelled data with tunecase eval before committing money.");
  if (s.simulated)
    d.risks.push_back(
        "Accuracy, latency and token figures are SIMULATED (offline stand-in): "
        "measure the real endpoints before acting on this memo.");
  for (const auto& u : d.analysis.unsettled) {
    if (u.a != pick.name && u.b != pick.name) continue;
    std::string p = u.mcnemar_p ? fmt::format(" (McNemar p = {:.3f})", *u.mcnemar_p) : "";
    d.risks.push_back(
        fmt::format("The data does not settle {} against {}{}: their net benefits "
                    "overlap across the accuracy intervals.",
                    u.a, u.b, p));
  }
  if (in.trained && in.retrain_every_months.get() == 0)
    d.risks.push_back(
        fmt::format("{} has no retraining plan (retrain_every_months): a trained "
                    "model drifts as tickets change; budget retraining and daily "
                    "accuracy monitoring before launch.",
                    pick.name));
  const Figure& stable = s.business.task_stable_months;
  if (in.trained && (!stable.known() || stable.get() <= 6))
    d.risks.push_back(
        "The task may change within 6 months: a trained model must be retrained "
        "each time, a prompt only edited.");
  if (pick.cost.ship_months.get() > 1)
    d.risks.push_back(
        fmt::format("{} takes {:.1f} months to ship; the value forgone meanwhile "
                    "is {}.",
                    pick.name, pick.cost.ship_months.get(), money(pick.cost_of_delay)));
  std::string flipping;
  for (const auto& row : d.sensitivity.rows) {
    if (row.flips) flipping += (flipping.empty() ? "" : ", ") + row.input;
  }
  if (!flipping.empty())
    d.risks.push_back("The choice flips when one of these assumptions is 50% off: " + flipping +
                      ". Check them first.");
  if (pick.net.get() <= 0)
    d.risks.push_back(
        "Even the best option loses money against doing nothing; the cost of an "
        "error or the volume may be too low to justify any investment.");
}

void set_next_step(Decision& d) {
  const Scenario& s = d.scenario;
  if (d.pilot.needed) {
    d.next_step = fmt::format(
        "Pilot {} on {} of live traffic against {} for {} days, then judge it by the three "
        "outcomes below.",
        d.pilot.approach, percent(d.pilot.traffic_share), d.pilot.against, d.pilot.days);
    return;
  }
  d.next_step = fmt::format(
      "Keep {}. Re-run tunecase decide when the volume, the cost of an "
      "error or the measured accuracy changes.",
      d.pick);
  for (const auto& w : d.what_it_takes) {
    if (w.required_error_rate)
      d.next_step += fmt::format(" {} would need {} to beat {}.", w.trained,
                                 rate_text(s, *w.required_error_rate), w.prompting);
  }
}

}  // namespace

Decision decide(const Scenario& s) {
  Decision d;
  d.scenario = s;
  d.analysis = analyse(s);
  d.break_evens = all_break_evens(d.analysis);
  d.checklist = fill_checklist(s);
  d.sensitivity = sensitivity(s);
  d.what_it_takes = what_it_takes(s);
  if (!d.analysis.best) {
    d.headline = "No recommendation: no approach has a known cost (prices UNKNOWN).";
    d.next_step =
        "Add usd_per_query or hosting to the approaches whose price is unknown, or add "
        "their models to the price catalogue, and run tunecase decide again.";
    return d;
  }
  const ApproachResult& pick = d.analysis.results[*d.analysis.best];
  d.pick = pick.name;
  d.headline = pick.is_baseline ? fmt::format("Keep {}: no alternative pays for itself.", pick.name)
                                : fmt::format("Move to {}: net benefit {} over {} months.",
                                              pick.name, money(pick.net),
                                              static_cast<int>(s.business.horizon_months.get()));
  add_reasons(d, pick);
  add_risks(d, pick);
  d.pilot = plan_pilot(s, d.analysis, *d.analysis.best);
  set_next_step(d);
  return d;
}

}  // namespace tunecase::econ
