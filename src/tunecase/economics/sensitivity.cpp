#include "tunecase/economics/sensitivity.h"

#include <algorithm>
#include <cmath>

#include "tunecase/economics/analysis.h"

namespace tunecase::econ {
namespace {

struct Outcome {
  std::string pick;
  double net_of = 0;
};

// The pick under a changed scenario, and the net benefit of `watched` there.
Outcome outcome(const Scenario& s, const std::string& watched) {
  Analysis a = analyse(s);
  Outcome o;
  if (a.best) o.pick = a.results[*a.best].name;
  for (const auto& r : a.results) {
    if (r.name == watched) o.net_of = r.net.get();
  }
  return o;
}

Scenario scaled(const Scenario& s, size_t input, double factor) {
  Scenario copy = s;
  Figure* f = copy.assumed_inputs()[input].second;
  double v = f->get() * factor;
  bool is_rate = copy.assumed_inputs()[input].first.find("rate") != std::string::npos;
  f->value = is_rate ? std::min(v, 1.0) : v;
  for (auto& a : copy.approaches) {  // keep interval ends in step with a moved rate
    if (&a.error_rate == f) a.error_rate_low = a.error_rate_high = a.error_rate;
  }
  return copy;
}

}  // namespace

Sensitivity sensitivity(const Scenario& s, double swing) {
  Sensitivity out;
  Analysis base = analyse(s);
  if (!base.best) return out;
  out.base_pick = base.results[*base.best].name;
  out.base_net = base.results[*base.best].net.get();
  Scenario probe = s;
  auto inputs = probe.assumed_inputs();
  for (size_t i = 0; i < inputs.size(); ++i) {
    Outcome lo = outcome(scaled(s, i, 1 - swing), out.base_pick);
    Outcome hi = outcome(scaled(s, i, 1 + swing), out.base_pick);
    SensitivityRow row{
        inputs[i].first, inputs[i].second->get(), lo.pick, hi.pick, lo.net_of, hi.net_of, false};
    row.flips = lo.pick != out.base_pick || hi.pick != out.base_pick;
    out.rows.push_back(row);
  }
  std::stable_sort(out.rows.begin(), out.rows.end(), [](const auto& x, const auto& y) {
    return std::fabs(x.net_high - x.net_low) > std::fabs(y.net_high - y.net_low);
  });
  return out;
}

}  // namespace tunecase::econ
