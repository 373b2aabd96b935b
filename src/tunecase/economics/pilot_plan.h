#pragma once

#include <optional>
#include <string>

#include "tunecase/economics/analysis.h"
#include "tunecase/economics/inputs.h"
#include "tunecase/economics/pilot_rule.h"

namespace tunecase::econ {

// The next step when the recommendation departs from the baseline: run it on a slice of live
// traffic first, with the three outcomes decided in advance.
struct PilotPlan {
  bool needed = false;
  std::string approach;  // the challenger
  std::string against;   // the baseline it must beat
  double traffic_share = 0.05;
  int days = 14;
  double queries_per_arm = 0;  // to detect the expected difference
  bool difference_detectable = true;
  // Labelled queries per arm the planned days bring in at the memo's volume and share (every
  // query labelled), and whether that reaches the 30 per arm below which no call is made; when
  // it does not, the days it would take (empty at no volume).
  double collected_per_arm = 0;
  bool callable = true;
  std::optional<double> days_for_a_call;
  // The horizon in days (horizon_months x days_per_month): a pilot longer than it leaves no
  // live months for the value the memo counts.
  double horizon_days = 0;
  // Error rates (1 - accuracy, or harmful rate) for the memo.
  double expected_rate = 0;  // what the challenger showed offline
  double baseline_rate = 0;  // the baseline's offline rate
  // Where the two offline rates come from (the weaker of the two: measured, simulated, ...): the
  // offline gain and the sample size rest on them.
  Figure offline_rates = unknown(Source::assumed);
  // The offline-equivalent clear-win line: baseline rate - the gain that just pays at the
  // modelled price (nullopt: no rate is a clear win); and the worse line, the baseline's rate plus
  // the loss a cheaper challenger's savings pay for (nullopt: never worse). The live verdict is
  // rule's (judge_pilot), which uses the live baseline arm.
  std::optional<double> clear_win_rate, worse_rate;
  bool accuracy_mode = true;  // thresholds shown as accuracy
  PilotRule rule;
};

// Queries per arm to detect p1 vs p2 with a two-sided two-proportion z-test, alpha 0.05, power
// 0.8: n = (1.96 + 0.8416)^2 (p1(1-p1) + p2(1-p2)) / (p1 - p2)^2. Empty when p1 == p2.
std::optional<double> queries_per_arm(double p1, double p2);

PilotPlan plan_pilot(const Scenario& s, const Analysis& a, size_t pick);

}  // namespace tunecase::econ
