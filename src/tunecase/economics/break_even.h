#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tunecase/economics/analysis.h"
#include "tunecase/economics/cost_model.h"

namespace tunecase::econ {

enum class Crossing { at_volume, never, unknown };

// The monthly volume at which two approaches' run-rate costs are equal.
struct BreakEven {
  std::string a, b;
  Crossing crossing = Crossing::never;
  double queries_per_month = 0;  // when crossing == at_volume
  std::string cheaper_below;     // costs less below that volume; "" when the lines are identical
  std::string cheaper_above;
};

// fixed_a + per_a x v = fixed_b + per_b x v  =>  v = (fixed_b - fixed_a) / (per_a - per_b).
// Never when the lines are parallel or meet only at v <= 0; unknown when a price is unknown.
BreakEven break_even(const std::string& name_a, const CostLine& a, const std::string& name_b,
                     const CostLine& b);

// Every pair of approaches, in scenario order.
std::vector<BreakEven> all_break_evens(const Analysis& analysis);

}  // namespace tunecase::econ
