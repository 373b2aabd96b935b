#include "tunecase/economics/cost_model.h"

#include <algorithm>

namespace tunecase::econ {

Figure CostLine::at(const Figure& queries_per_month) const {
  return fixed_per_month + monthly_inference_usd(per_query, queries_per_month);
}

Figure weeks_to_months(const Figure& weeks) {
  return weeks * (12.0 / 52.0);
}

Figure monthly_inference_usd(const Figure& usd_per_query, const Figure& queries_per_month) {
  return combine(usd_per_query, queries_per_month, usd_per_query.get() * queries_per_month.get());
}

ApproachCost cost_of(const ApproachInputs& a, const BusinessInputs& b) {
  ApproachCost c;
  const Figure& week = b.engineer_usd_per_week;
  c.training = a.training_usd;
  c.engineering = combine(a.engineering_weeks, week, a.engineering_weeks.get() * week.get());
  c.one_time = c.training + c.engineering;
  c.inference_per_month = monthly_inference_usd(a.usd_per_query, b.queries_per_month);
  c.hosting_per_month = a.hosting_usd_per_month;
  double cadence = a.retrain_every_months.get();
  c.retraining_per_month = combine(a.retrain_usd, a.retrain_every_months,
                                   cadence > 0 ? a.retrain_usd.get() / cadence : 0.0);
  c.monitoring_per_month = a.monitoring_usd_per_month;
  c.maintenance_per_month = combine(a.maintenance_weeks_per_month, week,
                                    a.maintenance_weeks_per_month.get() * week.get());
  Figure fixed = c.hosting_per_month + c.retraining_per_month + c.monitoring_per_month +
                 c.maintenance_per_month;
  c.recurring_per_month = fixed + c.inference_per_month;
  c.ship_months = weeks_to_months(a.time_to_ship_weeks);
  c.line = CostLine{fixed, a.usd_per_query};
  return c;
}

Figure live_months(const ApproachCost& own, const Figure& horizon) {
  return combine(horizon, own.ship_months, std::max(0.0, horizon.get() - own.ship_months.get()));
}

ApproachCost already_running(ApproachCost c) {
  auto zero = [](Figure& f) { f.value = 0.0; };
  zero(c.training);
  zero(c.engineering);
  zero(c.one_time);
  zero(c.ship_months);
  return c;
}

Figure own_horizon_cost(const ApproachCost& own, const Figure& horizon) {
  Figure live = live_months(own, horizon);
  return own.one_time +
         combine(own.recurring_per_month, live, own.recurring_per_month.get() * live.get());
}

Figure horizon_cost(const ApproachCost& own, const ApproachCost& baseline, const Figure& horizon) {
  double building = std::min(own.ship_months.get(), horizon.get());
  Figure total = own_horizon_cost(own, horizon);
  // The baseline keeps serving (and costing) while this approach is built.
  if (building > 0) total = total + baseline.recurring_per_month * building;
  return total;
}

}  // namespace tunecase::econ
