#include "tunecase/economics/analysis.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "tunecase/economics/value_model.h"
#include "tunecase/stats/proportion.h"

namespace tunecase::econ {
namespace {

// Months from the start until one-time costs are recovered by the monthly advantage over the
// baseline (value - extra running cost); empty when the advantage is not positive.
std::optional<double> payback(const ApproachResult& r, const ApproachResult& baseline) {
  if (r.is_baseline) return 0.0;
  Figure extra = r.cost.recurring_per_month - baseline.cost.recurring_per_month;
  Figure advantage = r.value_per_month - extra;
  if (!advantage.known() || !r.cost.one_time.known() || advantage.get() <= 0) return std::nullopt;
  return r.cost.ship_months.get() + r.cost.one_time.get() / advantage.get();
}

std::optional<double> mcnemar_p(const Scenario& s, const std::string& a, const std::string& b) {
  for (const auto& p : s.pairwise) {
    std::string pa = p.value("a", std::string()), pb = p.value("b", std::string());
    if (((pa == a && pb == b) || (pa == b && pb == a)) && p.contains("mcnemar_p") &&
        p["mcnemar_p"].is_number())
      return p["mcnemar_p"].get<double>();
  }
  return std::nullopt;
}

// Whether two approaches' ranges across their accuracy intervals overlap: of the net benefit,
// or of its floor when the baseline's price (and so every net) is unknown.
bool overlaps(const ApproachResult& x, const ApproachResult& y, bool baseline_priced) {
  auto range = [&](const ApproachResult& r) {
    return baseline_priced
               ? std::array<const Figure*, 3>{&r.net, &r.net_low, &r.net_high}
               : std::array<const Figure*, 3>{&r.net_floor, &r.net_floor_low, &r.net_floor_high};
  };
  auto [x_mid, x_low, x_high] = range(x);
  auto [y_mid, y_low, y_high] = range(y);
  if (!x_low->known() || !y_low->known()) return false;
  if (same_money(x_mid->get(), y_mid->get())) return true;
  bool x_above = x_mid->get() > y_mid->get();
  return (x_above ? y_high : x_high)->get() >= (x_above ? x_low : y_low)->get();
}

// What an approach is ranked by: value minus its own whole cost. It orders approaches exactly as
// the gain over the baseline does (the two differ by the cost of keeping the baseline). When the
// baseline's price is unknown, the baseline's running cost while an approach is built is too:
// approaches are then ranked by value minus their own cost, each one's gain over keeping the
// baseline at the baseline's cheapest (free to run), which is a floor under it.
Figure standing(const ApproachResult& r, bool baseline_priced) {
  return baseline_priced ? r.value - r.horizon_cost : r.net_floor;
}

// Highest standing; a tie (to the cent) goes to the baseline (a switch that gains nothing is no
// recommendation: a $0 tie had read "Lean towards" the other, with a pilot planned to find a
// difference of 0), then to the cheaper approach, then to the earlier one.
std::optional<size_t> best_of(const std::vector<ApproachResult>& results, bool baseline_priced) {
  std::optional<size_t> best;
  auto cost = [&](const ApproachResult& r) {
    return (baseline_priced ? r.horizon_cost : r.own_cost).get();
  };
  for (size_t i = 0; i < results.size(); ++i) {
    Figure mine = standing(results[i], baseline_priced);
    if (!mine.known()) continue;
    if (!best) {
      best = i;
      continue;
    }
    double theirs = standing(results[*best], baseline_priced).get();
    double my_cost = cost(results[i]), their_cost = cost(results[*best]);
    bool tie = same_money(mine.get(), theirs);
    if (tie && results[*best].is_baseline) continue;
    if ((!tie && mine.get() > theirs) || (tie && results[i].is_baseline) ||
        (tie && !same_money(my_cost, their_cost) && my_cost < their_cost))
      best = i;
  }
  return best;
}

Figure keep_baseline_cost(const Scenario& s) {
  ApproachCost base = already_running(cost_of(s.approaches[s.baseline_index()], s.business));
  return horizon_cost(base, base, s.business.horizon_months);
}

}  // namespace

bool same_money(double a, double b) {
  return std::fabs(a - b) < 0.005 + 1e-12 * std::max(std::fabs(a), std::fabs(b));
}

namespace {

// The inputs of the approach a result is for.
const ApproachInputs& inputs_of(const Scenario& s, const ApproachResult& r) {
  const ApproachInputs* a = s.approach_named(r.name);
  return a ? *a : s.approaches[s.baseline_index()];
}

Figure value_with_rate(const Scenario& s, const ApproachResult& r, const Figure& own_rate) {
  const BusinessInputs& b = s.business;
  const ApproachInputs& base = s.approaches[s.baseline_index()];
  Figure per_month = monthly_value(b.queries_per_month, base.error_rate, error_cost(base, b),
                                   own_rate, error_cost(inputs_of(s, r), b));
  Figure live = live_months(r.cost, b.horizon_months);
  return combine(per_month, live, per_month.get() * live.get());
}

}  // namespace

std::optional<Interval> paired_accuracy_difference(const Scenario& s, const std::string& a,
                                                   const std::string& b) {
  for (const auto& p : s.pairwise) {
    std::string pa = p.value("a", std::string()), pb = p.value("b", std::string());
    bool forward = pa == a && pb == b, backward = pa == b && pb == a;
    if (!forward && !backward) continue;
    if (!p.contains("a_only_correct") || !p.contains("b_only_correct") || !p.contains("n"))
      return std::nullopt;
    auto a_only = p["a_only_correct"].get<std::size_t>(),
         b_only = p["b_only_correct"].get<std::size_t>(), n = p["n"].get<std::size_t>();
    if (n == 0) return std::nullopt;
    const std::size_t discordant = a_only + b_only;
    if (discordant == 0) return Interval{0, 0};
    Interval split = clopper_pearson_interval(forward ? a_only : b_only, discordant);
    const double share = static_cast<double>(discordant) / static_cast<double>(n);
    return Interval{(2 * split.lo - 1) * share, (2 * split.hi - 1) * share};
  }
  return std::nullopt;
}

Figure net_with_rate(const Scenario& s, const ApproachResult& r, const Figure& own_rate) {
  return value_with_rate(s, r, own_rate) - r.extra_cost;
}

Figure standing(const Analysis& a, const ApproachResult& r) {
  return standing(r, a.keep_baseline_cost.known());
}

std::optional<double> error_rate_for_net(const Scenario& s, const ApproachResult& r,
                                         double target_net) {
  const BusinessInputs& b = s.business;
  double live = live_months(r.cost, b.horizon_months).get();
  // net = live x volume x (base rate x base cost - rate x own cost) - extra cost, for the rate.
  const ApproachInputs& base = s.approaches[s.baseline_index()];
  const double own_cost = error_cost(inputs_of(s, r), b).get();
  double scale = live * b.queries_per_month.get() * own_cost;
  if (scale <= 0 || !r.extra_cost.known()) return std::nullopt;
  double base_rate = base.error_rate.get() * error_cost(base, b).get() / own_cost;
  double rate = base_rate - (target_net + r.extra_cost.get()) / scale;
  if (rate < 0) return std::nullopt;
  return std::min(rate, 1.0);
}

Analysis analyse(const Scenario& s) {
  Analysis out;
  out.baseline = s.baseline_index();
  const BusinessInputs& b = s.business;
  ApproachCost base_cost = already_running(cost_of(s.approaches[out.baseline], b));
  const Figure& base_rate = s.approaches[out.baseline].error_rate;
  const Figure base_error_cost = error_cost(s.approaches[out.baseline], b);
  Figure at_risk = monthly_at_risk(b.queries_per_month, base_rate, base_error_cost);
  out.at_risk = combine(at_risk, b.horizon_months, at_risk.get() * b.horizon_months.get());
  out.keep_baseline_cost = keep_baseline_cost(s);
  for (size_t i = 0; i < s.approaches.size(); ++i) {
    const ApproachInputs& a = s.approaches[i];
    ApproachResult r;
    r.name = a.name;
    r.trained = a.trained;
    r.is_baseline = i == out.baseline;
    r.cost = r.is_baseline ? already_running(cost_of(a, b)) : cost_of(a, b);
    r.own_cost = own_horizon_cost(r.cost, b.horizon_months);
    r.horizon_cost = horizon_cost(r.cost, base_cost, b.horizon_months);
    // Keeping the baseline costs nothing extra over keeping it, whether or not its price is
    // known: its net benefit is 0 by definition.
    r.extra_cost = r.is_baseline ? Figure{0.0, r.horizon_cost.source, r.horizon_cost.simulated}
                                 : r.horizon_cost - out.keep_baseline_cost;
    r.errors_per_month = monthly_errors(b.queries_per_month, a.error_rate);
    r.value_per_month = monthly_value(b.queries_per_month, base_rate, base_error_cost, a.error_rate,
                                      error_cost(a, b));
    Figure live = live_months(r.cost, b.horizon_months);
    r.value = combine(r.value_per_month, live, r.value_per_month.get() * live.get());
    double building = std::min(r.cost.ship_months.get(), b.horizon_months.get());
    r.cost_of_delay = r.value_per_month * building;
    r.net = r.value - r.extra_cost;
    r.net_floor = r.value - r.own_cost;
    out.results.push_back(r);
  }
  for (size_t i = 0; i < out.results.size(); ++i) {
    ApproachResult& r = out.results[i];
    // The ends: with the pair measured on the same items, the paired interval of the accuracy
    // difference with the baseline, which counts the baseline's uncertainty as the checklist's
    // "even at the low end" does (the approach's own interval had given another low end for the
    // same gain); else the approach's own interval, the baseline at its measured figure.
    Figure worst = s.approaches[i].error_rate_high, best = s.approaches[i].error_rate_low;
    const ApproachInputs& base = s.approaches[out.baseline];
    if (!b.harmful_mode && i != out.baseline)
      if (std::optional<Interval> diff = paired_accuracy_difference(s, r.name, base.name)) {
        worst = Figure{std::clamp(base.error_rate.get() - diff->lo, 0.0, 1.0), worst.source,
                       worst.simulated};
        best = Figure{std::clamp(base.error_rate.get() - diff->hi, 0.0, 1.0), best.source,
                      best.simulated};
        r.paired_ends = true;
      }
    r.net_low = net_with_rate(s, r, worst);
    r.net_high = net_with_rate(s, r, best);
    r.net_floor_low = value_with_rate(s, r, worst) - r.own_cost;
    r.net_floor_high = value_with_rate(s, r, best) - r.own_cost;
    r.payback_months = payback(r, out.results[out.baseline]);
    // Keeping the baseline against keeping it gains nothing at any accuracy: its own interval
    // moved against its point figure had read as a range of $140k on the "do nothing" row.
    if (i == out.baseline) {
      r.net_low = r.net_high = r.net;
      r.net_floor_low = r.net_floor_high = r.net_floor;
    }
  }
  bool baseline_priced = base_cost.recurring_per_month.known();
  out.best = best_of(out.results, baseline_priced);
  for (size_t i = 0; i < out.results.size(); ++i) {
    for (size_t j = i + 1; j < out.results.size(); ++j) {
      const ApproachResult &x = out.results[i], &y = out.results[j];
      // Measured on the same test items: the paired interval of their accuracy difference, y at
      // its measured accuracy and x that far from it, decides whether their order can change.
      // Each one's own interval, taken apart, counts the items both got right or wrong as
      // uncertain twice, and called pairs unsettled that the McNemar test separates.
      if (std::optional<Interval> diff = paired_accuracy_difference(s, x.name, y.name)) {
        auto gap_at = [&](double accuracy_gap) {
          Figure rate = s.approaches[j].error_rate;
          rate =
              Figure{std::clamp(rate.get() - accuracy_gap, 0.0, 1.0), rate.source, rate.simulated};
          auto cost = [&](const ApproachResult& r) {
            return (baseline_priced ? r.horizon_cost : r.own_cost).get();
          };
          return (value_with_rate(s, x, rate).get() - cost(x)) - (y.value.get() - cost(y));
        };
        if (x.value.known() && y.value.known() && x.horizon_cost.known() &&
            y.horizon_cost.known()) {
          const double low = gap_at(diff->lo), high = gap_at(diff->hi);
          if ((low > 0 && high > 0) || (low < 0 && high < 0)) continue;
          out.unsettled.push_back(
              UnsettledPair{x.name, y.name, mcnemar_p(s, x.name, y.name), /*paired=*/true});
          continue;
        }
      }
      if (!overlaps(out.results[i], out.results[j], baseline_priced)) continue;
      out.unsettled.push_back(
          UnsettledPair{out.results[i].name, out.results[j].name,
                        mcnemar_p(s, out.results[i].name, out.results[j].name)});
    }
  }
  return out;
}

}  // namespace tunecase::econ
