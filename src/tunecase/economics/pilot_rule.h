#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace tunecase::econ {

// The verdict rule of a pilot, judged by money. `decide` fixes it before the pilot starts and
// writes it into decision.json (recommendation.pilot.rule); the gateway reads it back with
// pilot_rule_from_json() and applies judge_pilot() to the live arms, so the rule written in the
// memo and the rule applied live are one piece of code.
struct PilotRule {
  std::string challenger, baseline;
  bool accuracy_mode = true;        // a counted error is a wrong answer; else a harmful incident
  double min_labelled_per_arm = 0;  // fewer labelled queries in either arm: "pending"
  // The business case the live gain must pay for, as in the memo.
  double queries_per_month = 0;
  double cost_per_error_usd = 0;
  double live_months = 0;     // months the challenger serves within the horizon
  double extra_cost_usd = 0;  // its cost over the horizon minus the cost of keeping the baseline
  std::optional<double> usd_per_query;  // modelled price; a dearer live price counts against it
  std::optional<double> max_latency_p50_ms;  // from eval's p50 (none in scenario mode)
  // Offline figures of the challenger, to tell an unrepresentative test set from a weak model.
  double offline_error_rate = 0;
  double offline_error_rate_high = 0;  // pessimistic end of the offline interval
};

// Net gain over keeping the baseline for a live error-rate gain at a live price:
// live months x volume x (gain x cost per error - (live price - modelled price)) - extra cost.
double pilot_net(const PilotRule& rule, double gain, std::optional<double> live_usd_per_query);

// The error-rate gain (baseline - challenger) at which pilot_net is 0 at the modelled price:
// extra cost / (live months x volume x cost per error). Empty when no gain can pay (nothing is
// earned per error avoided). Negative when the challenger is cheaper than the baseline.
std::optional<double> min_paying_gain(const PilotRule& rule);

// One arm of the live split, from delayed ground truth.
struct PilotArm {
  std::size_t labelled = 0;  // queries with ground truth
  std::size_t correct = 0;   // of those, without a counted error
  std::optional<double> latency_p50_ms, usd_per_query;
};

enum class PilotOutcome { pending, clear_win, marginal, worse };
std::string to_string(PilotOutcome outcome);  // "pending", "clear win", "marginal", "worse"

struct PilotVerdict {
  PilotOutcome outcome = PilotOutcome::pending;
  double gain = 0;                      // live: baseline error rate - challenger error rate
  double gain_low = -1, gain_high = 1;  // its 95% interval (Newcombe)
  // Reported beside the outcome, never instead of it: the challenger's live interval lies wholly
  // below its offline one, so the test set may not represent live traffic.
  bool unrepresentative = false;
  std::string reason;
};

// Clear win: the pessimistic end of the live gain still pays (pilot_net >= 0 at the live price)
// and latency is within its limit. Marginal: better live, but not clearly paying. Worse: no
// better than the baseline live.
PilotVerdict judge_pilot(const PilotRule& rule, const PilotArm& challenger,
                         const PilotArm& baseline);

nlohmann::json to_json(const PilotRule& rule);
// Throws UserError naming the key when the rule is incomplete.
PilotRule pilot_rule_from_json(const nlohmann::json& rule);

}  // namespace tunecase::econ
