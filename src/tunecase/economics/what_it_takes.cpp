#include "tunecase/economics/what_it_takes.h"

#include "tunecase/economics/analysis.h"

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
    w.required_error_rate = error_rate_for_net(s, r, a.results[*p].net.get());
    w.required_queries_per_month = crossing_volume(s, t, *p);
    out.push_back(w);
  }
  return out;
}

}  // namespace tunecase::econ
