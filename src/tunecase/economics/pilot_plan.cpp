#include "tunecase/economics/pilot_plan.h"

#include <algorithm>
#include <cmath>

namespace tunecase::econ {
namespace {

constexpr int kMinDays = 14;  // two weeks, so weekly patterns show up in both arms
constexpr int kMaxDays = 90;
constexpr double kShareOfGain = 0.8;

// The live error rate that counts as a clear win: the pessimistic end of the offline interval
// (or, with no interval, 80% of the offline gain realised), and never looser than the rate at
// which the challenger stops paying for itself.
double clear_win_rate(const Scenario& s, const Analysis& a, size_t pick) {
  const ApproachInputs& c = s.approaches[pick];
  double base = s.approaches[a.baseline].error_rate.get();
  double expected = c.error_rate.get();
  double rate = c.error_rate_high.get() != expected ? c.error_rate_high.get()
                                                    : base - kShareOfGain * (base - expected);
  std::optional<double> pays =
      error_rate_for_net(s, a.results[pick], a.results[a.baseline].net.get());
  return std::min(rate, pays.value_or(0.0));
}

}  // namespace

std::optional<double> queries_per_arm(double p1, double p2) {
  if (p1 == p2) return std::nullopt;
  double z = 1.959964 + 0.841621;
  return std::ceil(z * z * (p1 * (1 - p1) + p2 * (1 - p2)) / ((p1 - p2) * (p1 - p2)));
}

PilotPlan plan_pilot(const Scenario& s, const Analysis& a, size_t pick) {
  PilotPlan plan;
  if (pick == a.baseline) return plan;
  const ApproachInputs& challenger = s.approaches[pick];
  const ApproachInputs& base = s.approaches[a.baseline];
  plan.needed = true;
  plan.approach = challenger.name;
  plan.against = base.name;
  plan.traffic_share = s.business.pilot_share.get();
  plan.accuracy_mode = !s.business.harmful_mode;
  plan.expected_rate = challenger.error_rate.get();
  plan.baseline_rate = base.error_rate.get();
  plan.clear_win_rate = clear_win_rate(s, a, pick);
  std::optional<double> n = queries_per_arm(plan.baseline_rate, plan.expected_rate);
  double per_day =
      plan.traffic_share * s.business.queries_per_month.get() / s.business.days_per_month;
  if (!n || per_day <= 0) {
    plan.difference_detectable = false;
    plan.days = kMaxDays;
    return plan;
  }
  plan.queries_per_arm = *n;
  double days = std::ceil(*n / per_day);
  plan.difference_detectable = days <= kMaxDays;
  plan.days = static_cast<int>(std::clamp(days, double(kMinDays), double(kMaxDays)));
  return plan;
}

}  // namespace tunecase::econ
