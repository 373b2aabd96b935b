#pragma once

#include "tunecase/economics/figure.h"

namespace tunecase::econ {

// Counted errors per month = volume x error rate (1 - accuracy, or the harmful-error rate).
Figure monthly_errors(const Figure& queries_per_month, const Figure& error_rate);

// Money at risk per month = errors x cost of one error (the seed: volume x 2% x $500).
Figure monthly_at_risk(const Figure& queries_per_month, const Figure& error_rate,
                       const Figure& cost_per_error);

// Value per month against the baseline = errors avoided x cost of one error
// = volume x (baseline rate - own rate) x cost per error. Negative when it makes more errors.
Figure monthly_value(const Figure& queries_per_month, const Figure& baseline_rate,
                     const Figure& own_rate, const Figure& cost_per_error);
// The same with each side's errors at their own mean cost (per-label error costs, where the
// labels an approach gets wrong set what its errors cost): volume x (baseline rate x its cost -
// own rate x own cost). Equal to the above when the two costs are one.
Figure monthly_value(const Figure& queries_per_month, const Figure& baseline_rate,
                     const Figure& baseline_cost, const Figure& own_rate, const Figure& own_cost);

}  // namespace tunecase::econ
