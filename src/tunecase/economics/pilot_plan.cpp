#include "tunecase/economics/pilot_plan.h"

#include <algorithm>
#include <cmath>

#include "tunecase/economics/cost_model.h"

namespace tunecase::econ {
namespace {

constexpr int kMinDays = 14;  // two weeks, so weekly patterns show up in both arms
constexpr int kMaxDays = 90;
// Live p50 may exceed the measured one by 50%, or by 50 ms (gateway and network overhead that an
// offline run of a sub-millisecond local model never sees), whichever is more.
constexpr double kLatencySlack = 1.5;
constexpr double kLatencyOverheadMs = 50;

// The money the live gain must pay for: the challenger's extra cost over keeping the baseline,
// earned back over its live months at the memo's volume and cost per error.
PilotRule money_rule(const Scenario& s, const Analysis& a, size_t pick) {
  const ApproachInputs& c = s.approaches[pick];
  const ApproachResult& r = a.results[pick];
  PilotRule rule;
  rule.challenger = c.name;
  rule.baseline = s.approaches[a.baseline].name;
  rule.accuracy_mode = !s.business.harmful_mode;
  rule.queries_per_month = s.business.queries_per_month.get();
  // With per-label costs each arm's errors cost their own mean: a point of accuracy gained is
  // priced at the challenger's, and the two mixes' difference is added, so that at the offline
  // gain the rule's net is the memo's (the baseline's mean alone had priced the live gain above
  // the memo's net when the challenger's remaining errors were its dearest).
  const ApproachInputs& base = s.approaches[a.baseline];
  rule.cost_per_error_usd = error_cost(c, s.business).get();
  rule.live_months = live_months(r.cost, s.business.horizon_months).get();
  rule.error_mix_usd = rule.live_months * rule.queries_per_month * base.error_rate.get() *
                       (error_cost(base, s.business).get() - rule.cost_per_error_usd);
  // With the baseline's price unknown the extra cost is too: the rule takes the challenger's own
  // cost as if keeping the baseline cost nothing, the most the gain could have to pay for (an
  // unknown read as $0 had made "any gain pays" the clear-win bar serve judges by).
  rule.extra_cost_usd = r.extra_cost.known() ? r.extra_cost.get() : r.own_cost.get();
  if (c.usd_per_query.known()) rule.usd_per_query = c.usd_per_query.get();
  if (c.latency_p50_ms.known()) {
    double p50 = c.latency_p50_ms.get();
    rule.max_latency_p50_ms = std::max(kLatencySlack * p50, p50 + kLatencyOverheadMs);
  }
  rule.offline_error_rate = c.error_rate.get();
  rule.offline_error_rate_high = c.error_rate_high.get();
  return rule;
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
  plan.offline_rates = combine(challenger.error_rate, base.error_rate, 0.0);
  plan.rule = money_rule(s, a, pick);
  // The lines in offline error rate, as judge_pilot draws them. Without a cost per error (or a
  // volume) accuracy earns nothing: a cheaper challenger is a clear win at any rate and never
  // worse, a dearer one never a clear win and worse once less accurate.
  if (std::optional<double> gain = min_paying_gain(plan.rule)) {
    if (plan.baseline_rate - *gain >= 0)
      plan.clear_win_rate = std::min(1.0, plan.baseline_rate - *gain);
    if (plan.baseline_rate + std::max(0.0, -*gain) <= 1)
      plan.worse_rate = plan.baseline_rate + std::max(0.0, -*gain);
  } else if (plan.rule.extra_cost_usd <= 0) {
    plan.clear_win_rate = 1.0;
  } else {
    plan.worse_rate = plan.baseline_rate;
  }
  std::optional<double> n = queries_per_arm(plan.baseline_rate, plan.expected_rate);
  // Split traffic: the smaller arm sets the pace (at a share above one half, the baseline's).
  double per_day = std::min(plan.traffic_share, 1 - plan.traffic_share) *
                   s.business.queries_per_month.get() / s.business.days_per_month;
  if (!n || per_day <= 0) {
    plan.difference_detectable = false;
    plan.days = kMaxDays;
  } else {
    // No call is made on fewer than 30 labelled per arm (the interval is a large-sample one):
    // a plan for fewer would end "marginal" on a decisive result.
    plan.queries_per_arm = std::max(*n, kMinLabelledForACall);
    double days = std::ceil(plan.queries_per_arm / per_day);
    plan.difference_detectable = days <= kMaxDays;
    plan.days = static_cast<int>(std::clamp(days, double(kMinDays), double(kMaxDays)));
  }
  plan.collected_per_arm = per_day * plan.days;
  // 1 - 0.9 is 0.0999...: not a query fewer than 0.1's
  plan.callable = plan.collected_per_arm * (1 + 1e-12) >= kMinLabelledForACall;
  if (!plan.callable && per_day > 0)
    plan.days_for_a_call = std::ceil(kMinLabelledForACall / per_day * (1 - 1e-12));
  plan.horizon_days = s.business.horizon_months.get() * s.business.days_per_month;
  // Judged once the planned sample (or, when it cannot be reached, the whole pilot) is in.
  plan.rule.min_labelled_per_arm =
      plan.difference_detectable ? plan.queries_per_arm
                                 : std::max(kMinLabelledForACall,
                                            // 1 - 0.9 is 0.0999...: not a query fewer than 0.1's
                                            std::floor(per_day * plan.days * (1 + 1e-12)));
  // The memo plans a split: its share is the ratio the sample-ratio check holds the arms to
  // (decision.json had said null, read by the docs as "no ratio check", while serve checked it).
  plan.rule.mode = PilotMode::split;
  plan.rule.challenger_share = plan.traffic_share;
  return plan;
}

}  // namespace tunecase::econ
