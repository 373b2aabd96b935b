#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tunecase/economics/cost_model.h"
#include "tunecase/economics/inputs.h"

namespace tunecase::econ {

// Cost, value and net benefit of one approach over the horizon.
struct ApproachResult {
  std::string name;
  bool trained = false;
  bool is_baseline = false;
  ApproachCost cost;
  Figure horizon_cost;
  Figure errors_per_month;
  Figure value_per_month;                // against the baseline, once live
  Figure value;                          // over the horizon, earned only after launch
  Figure cost_of_delay;                  // value forgone while the approach is being built
  Figure net;                            // value - horizon cost
  Figure net_low;                        // at the pessimistic end of the accuracy interval
  Figure net_high;                       // at the optimistic end
  std::optional<double> payback_months;  // from the start; empty = never pays back
};

// Two approaches whose order by net benefit the data does not settle.
struct UnsettledPair {
  std::string a, b;
  std::optional<double> mcnemar_p;
};

struct Analysis {
  std::vector<ApproachResult> results;  // in scenario order
  size_t baseline = 0;
  std::optional<size_t> best;  // highest known net benefit; empty when every net is unknown
  Figure at_risk;              // the baseline's errors x cost over the horizon
  std::vector<UnsettledPair> unsettled;
};

Analysis analyse(const Scenario& s);

// Net benefit of one approach with its error rate replaced (for intervals and "what it takes").
Figure net_with_rate(const Scenario& s, const ApproachResult& r, const Figure& own_rate);

// The error rate at which `r` would earn `target_net` over the horizon; empty when even zero
// errors would not (or when nothing is earned per error avoided).
// From net(rate) = live x volume x (baseline rate - rate) x cost per error - horizon cost.
std::optional<double> error_rate_for_net(const Scenario& s, const ApproachResult& r,
                                         double target_net);

}  // namespace tunecase::econ
