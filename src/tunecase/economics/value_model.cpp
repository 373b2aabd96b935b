#include "tunecase/economics/value_model.h"

namespace tunecase::econ {

Figure monthly_errors(const Figure& queries_per_month, const Figure& error_rate) {
  return combine(queries_per_month, error_rate, queries_per_month.get() * error_rate.get());
}

Figure monthly_at_risk(const Figure& queries_per_month, const Figure& error_rate,
                       const Figure& cost_per_error) {
  Figure errors = monthly_errors(queries_per_month, error_rate);
  return combine(errors, cost_per_error, errors.get() * cost_per_error.get());
}

Figure monthly_value(const Figure& queries_per_month, const Figure& baseline_rate,
                     const Figure& own_rate, const Figure& cost_per_error) {
  Figure avoided = monthly_errors(queries_per_month, baseline_rate - own_rate);
  return combine(avoided, cost_per_error, avoided.get() * cost_per_error.get());
}

Figure monthly_value(const Figure& queries_per_month, const Figure& baseline_rate,
                     const Figure& baseline_cost, const Figure& own_rate, const Figure& own_cost) {
  if (baseline_cost.get() == own_cost.get() && baseline_cost.source == own_cost.source &&
      baseline_cost.simulated == own_cost.simulated)
    return monthly_value(queries_per_month, baseline_rate, own_rate, own_cost);
  Figure base = monthly_at_risk(queries_per_month, baseline_rate, baseline_cost);
  Figure own = monthly_at_risk(queries_per_month, own_rate, own_cost);
  return base - own;
}

}  // namespace tunecase::econ
