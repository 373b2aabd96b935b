#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tunecase/economics/cost_model.h"
#include "tunecase/economics/inputs.h"
#include "tunecase/stats/proportion.h"

namespace tunecase::econ {

// Cost, value and net benefit of one approach over the horizon.
struct ApproachResult {
  std::string name;
  bool trained = false;
  bool is_baseline = false;
  ApproachCost cost;
  Figure horizon_cost;  // everything this approach costs over the horizon (absolute)
  // horizon_cost without the baseline's running cost while this approach is built: known
  // whenever this approach's own price is, and what it is ranked by when the baseline's is not.
  Figure own_cost;
  // value - own_cost: the gain over keeping the baseline with the baseline free to run, a floor
  // under `net`, and what is ranked and judged by when the baseline's price is unknown.
  Figure net_floor;
  Figure extra_cost;  // horizon_cost - the cost of keeping the baseline over the horizon
  Figure errors_per_month;
  Figure value_per_month;  // against the baseline, once live
  Figure value;            // over the horizon, earned only after launch
  Figure cost_of_delay;    // value forgone while the approach is being built
  // Gain over keeping the baseline (the seed's "value - cost" with the baseline's own running
  // cost, which keeping it also pays, taken off): value - extra_cost. The baseline's is 0.
  Figure net;
  Figure net_low;                        // at the pessimistic end of the accuracy interval
  Figure net_high;                       // at the optimistic end
  Figure net_floor_low, net_floor_high;  // net_floor at the interval's two ends
  // The ends above are those of the paired interval of its accuracy difference with the
  // baseline (both scored on the same test items: the one the checklist and the ranking use),
  // not of its own accuracy interval with the baseline's held at its figure.
  bool paired_ends = false;
  std::optional<double> payback_months;  // from the start; empty = never pays back
};

// Two approaches whose order by net benefit the data does not settle.
struct UnsettledPair {
  std::string a, b;
  std::optional<double> mcnemar_p;
  // Judged on the paired interval of their accuracy difference (same test items); otherwise on
  // the overlap of each one's own range.
  bool paired = false;
};

struct Analysis {
  std::vector<ApproachResult> results;  // in scenario order
  size_t baseline = 0;
  std::optional<size_t> best;  // highest known net benefit; empty when every net is unknown
  Figure at_risk;              // the baseline's errors x cost over the horizon
  // The baseline's running cost over the whole horizon: it runs today, so its one-time costs are
  // spent and it has nothing to build (already_running).
  Figure keep_baseline_cost;
  std::vector<UnsettledPair> unsettled;
};

Analysis analyse(const Scenario& s);

// What approaches are ranked by: value minus their whole cost over the horizon when the
// baseline's price is known (the order of the gain over keeping it), else net_floor.
Figure standing(const Analysis& a, const ApproachResult& r);

// Money compared to the cent: nets that differ by less are a tie (floating-point noise must not
// pick the dearer of two equal options).
bool same_money(double a, double b);

// Net benefit of one approach with its error rate replaced (for intervals and "what it takes").
Figure net_with_rate(const Scenario& s, const ApproachResult& r, const Figure& own_rate);

// The interval of accuracy(a) - accuracy(b) from eval's pairwise table, both answers on the same
// test items: the discordant items' split (a right only, of those where one was right) by the
// exact Clopper-Pearson interval, scaled by their share of the items. It excludes 0 exactly
// where eval's exact McNemar test finds the difference at p < 0.05 (Wilson's had excluded it on
// 4 items of 4, where McNemar's p is 0.125). nullopt without such a row.
std::optional<Interval> paired_accuracy_difference(const Scenario& s, const std::string& a,
                                                   const std::string& b);

// The error rate at which `r` would earn `target_net` over the horizon; empty when even zero
// errors would not (or when nothing is earned per error avoided).
// From net(rate) = live x volume x (baseline rate - rate) x cost per error - extra cost.
std::optional<double> error_rate_for_net(const Scenario& s, const ApproachResult& r,
                                         double target_net);

}  // namespace tunecase::econ
