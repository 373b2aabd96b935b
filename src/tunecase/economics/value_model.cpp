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

}  // namespace tunecase::econ
