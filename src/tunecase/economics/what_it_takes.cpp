#include "tunecase/economics/what_it_takes.h"

#include <algorithm>

#include "tunecase/economics/analysis.h"
#include "tunecase/economics/cost_model.h"

namespace tunecase::econ {
namespace {

std::optional<size_t> best_prompting(const Analysis& a) {
  std::optional<size_t> best;
  for (size_t i = 0; i < a.results.size(); ++i) {
    const auto& r = a.results[i];
    if (r.trained || !r.net.known()) continue;
    if (!best || r.net.get() > a.results[*best].net.get()) best = i;
  }
  return best;
}

double net_gap_at_volume(const Scenario& s, double volume, size_t t, size_t p) {
  Scenario copy = s;
  copy.business.queries_per_month.value = volume;
  Analysis a = analyse(copy);
  return a.results[t].net.get() - a.results[p].net.get();
}

// Net benefit is linear in volume, so two evaluations give the crossing.
std::optional<double> crossing_volume(const Scenario& s, size_t t, size_t p) {
  double at0 = net_gap_at_volume(s, 0, t, p);
  double at1 = net_gap_at_volume(s, 1e6, t, p);
  double slope = (at1 - at0) / 1e6;
  if (slope <= 0) return std::nullopt;
  double v = -at0 / slope;
  return v > 0 ? std::optional<double>(v) : std::optional<double>(0.0);
}

// The baseline's net benefit is 0 at any accuracy (it is what the others are measured
// against), so what it needs is the error rate at which the prompting approach `p` stops
// gaining over it: Q x (rate x its cost per error - p's rate x p's) x p's live months = p's
// extra cost (the two costs per error are one but with per-label costs).
std::optional<double> baseline_rate_to_match(const Scenario& s, const ApproachResult& p,
                                             const Figure& p_rate) {
  const BusinessInputs& b = s.business;
  const double base_cost = error_cost(s.approaches[s.baseline_index()], b).get();
  double scale =
      live_months(p.cost, b.horizon_months).get() * b.queries_per_month.get() * base_cost;
  if (scale <= 0 || !p.extra_cost.known() || !p_rate.known()) return std::nullopt;
  const ApproachInputs* prompting = s.approach_named(p.name);
  const double p_cost = prompting ? error_cost(*prompting, b).get() : base_cost;
  double rate = p_rate.get() * p_cost / base_cost + p.extra_cost.get() / scale;
  if (rate < 0) return std::nullopt;
  return std::min(rate, 1.0);
}

}  // namespace

std::vector<WhatItTakes> what_it_takes(const Scenario& s) {
  std::vector<WhatItTakes> out;
  Analysis a = analyse(s);
  std::optional<size_t> p = best_prompting(a);
  if (!p) return out;
  for (size_t t = 0; t < a.results.size(); ++t) {
    const ApproachResult& r = a.results[t];
    if (!r.trained || !r.net.known() || !r.horizon_cost.known()) continue;
    WhatItTakes w;
    w.trained = r.name;
    w.prompting = a.results[*p].name;
    w.already_ahead = r.net.get() > a.results[*p].net.get();
    w.required_error_rate =
        r.is_baseline ? baseline_rate_to_match(s, a.results[*p], s.approaches[*p].error_rate)
                      : error_rate_for_net(s, r, a.results[*p].net.get());
    w.required_queries_per_month = crossing_volume(s, t, *p);
    out.push_back(w);
  }
  return out;
}

}  // namespace tunecase::econ
