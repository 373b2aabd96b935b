#pragma once

#include "tunecase/economics/figure.h"
#include "tunecase/economics/inputs.h"

namespace tunecase::econ {

// Run-rate monthly cost as a line in volume: fixed + per_query x queries. Break-even volumes
// are where two of these lines cross.
struct CostLine {
  Figure fixed_per_month;
  Figure per_query;

  Figure at(const Figure& queries_per_month) const;
};

// What one approach costs. One-time costs are paid before launch; recurring costs every month
// it runs.
struct ApproachCost {
  Figure training;              // one-time training runs
  Figure engineering;           // one-time engineering weeks x engineer cost
  Figure one_time;              // training + engineering
  Figure inference_per_month;   // per-query price x volume
  Figure hosting_per_month;     // fixed instances
  Figure retraining_per_month;  // retrain cost / retrain cadence
  Figure monitoring_per_month;
  Figure maintenance_per_month;  // maintenance weeks x engineer cost
  Figure recurring_per_month;    // sum of the five above
  Figure ship_months;            // time to ship, in months
  CostLine line;
};

// The baseline runs today: its one-time costs are spent and it has nothing left to build, so
// keeping it costs its running cost alone. `c` with training, engineering, one-time and time to
// ship set to 0 (their sources kept).
ApproachCost already_running(ApproachCost c);

// Weeks to months with 52 weeks in 12 months.
Figure weeks_to_months(const Figure& weeks);

// Inference bill of a month: price per query x queries per month.
Figure monthly_inference_usd(const Figure& usd_per_query, const Figure& queries_per_month);

ApproachCost cost_of(const ApproachInputs& a, const BusinessInputs& b);

// Cost over the horizon: one-time costs, the baseline's running costs while the approach is
// being built, then its own running costs for the months it is live.
Figure horizon_cost(const ApproachCost& own, const ApproachCost& baseline, const Figure& horizon);
// The part of horizon_cost that is the approach's own: one-time + its running cost while live
// (without the baseline's running cost while it is built). Known whenever the approach's own
// price is, whatever the baseline's.
Figure own_horizon_cost(const ApproachCost& own, const Figure& horizon);

// Months an approach is live within the horizon: horizon - time to ship, at least 0.
Figure live_months(const ApproachCost& own, const Figure& horizon);

}  // namespace tunecase::econ
