#include "tunecase/economics/break_even.h"

namespace tunecase::econ {

BreakEven break_even(const std::string& name_a, const CostLine& a, const std::string& name_b,
                     const CostLine& b) {
  BreakEven out;
  out.a = name_a;
  out.b = name_b;
  if (!a.fixed_per_month.known() || !a.per_query.known() || !b.fixed_per_month.known() ||
      !b.per_query.known()) {
    out.crossing = Crossing::unknown;
    return out;
  }
  double slope = a.per_query.get() - b.per_query.get();
  double gap = b.fixed_per_month.get() - a.fixed_per_month.get();
  // The one with the lower fixed cost is cheaper at low volume.
  bool a_cheaper_low = a.fixed_per_month.get() < b.fixed_per_month.get() ||
                       (gap == 0 && a.per_query.get() <= b.per_query.get());
  out.cheaper_below = a_cheaper_low ? name_a : name_b;
  if (gap == 0 && slope == 0) out.cheaper_below.clear();  // identical lines: same cost
  out.cheaper_above = out.cheaper_below;
  if (slope == 0 || gap / slope <= 0) {
    out.crossing = Crossing::never;
    return out;
  }
  out.crossing = Crossing::at_volume;
  out.queries_per_month = gap / slope;
  out.cheaper_above = a_cheaper_low ? name_b : name_a;
  return out;
}

std::vector<BreakEven> all_break_evens(const Analysis& analysis) {
  std::vector<BreakEven> out;
  const auto& r = analysis.results;
  for (size_t i = 0; i < r.size(); ++i) {
    for (size_t j = i + 1; j < r.size(); ++j) {
      out.push_back(break_even(r[i].name, r[i].cost.line, r[j].name, r[j].cost.line));
    }
  }
  return out;
}

}  // namespace tunecase::econ
