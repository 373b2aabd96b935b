#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tunecase/stats/sample_ratio.h"

namespace tunecase::econ {

// Labelled queries per arm below which no call (clear win, worse or marginal) is made: the
// always-valid interval is a large-sample one. decide plans at least this many.
inline constexpr double kMinLabelledForACall = 30;

// split: each request goes to one arm (independent arms). shadow: the baseline answers every
// request and the challenger also runs on it, so the arms are paired item by item.
enum class PilotMode { split, shadow };

// The verdict rule of a pilot, judged by money. `decide` fixes it before the pilot starts and
// writes it into decision.json (recommendation.pilot.rule); the gateway reads it back with
// pilot_rule_from_json() and applies judge_pilot() to the live arms, so the rule written in the
// memo and the rule applied live are one piece of code.
struct PilotRule {
  std::string challenger, baseline;
  bool accuracy_mode = true;  // a counted error is a wrong answer; else a harmful incident
  // false: no memo behind the rule ([pilot] alone): the "business case" below is the margin
  // min_gain in units of accuracy (queries, months and cost per error all 1), not money.
  bool business_case = true;
  double min_labelled_per_arm = 0;  // fewer labelled queries in either arm: "pending"
  // The business case the live gain must pay for, as in the memo.
  double queries_per_month = 0;
  double cost_per_error_usd = 0;
  double live_months = 0;     // months the challenger serves within the horizon
  double extra_cost_usd = 0;  // its cost over the horizon minus the cost of keeping the baseline
  // With per-label error costs: cost_per_error_usd is the mean cost of the challenger's errors,
  // and this is what the two arms' different error mixes are worth over the live months, live
  // months x volume x the baseline's offline error rate x (its mean cost - the challenger's):
  // at the offline gain the rule's net is then the memo's. 0 with one flat cost.
  double error_mix_usd = 0;
  std::optional<double> usd_per_query;  // modelled price; a dearer live price counts against it
  std::optional<double> max_latency_p50_ms;  // from eval's p50 (none in scenario mode)
  // Offline figures of the challenger, to tell an unrepresentative test set from a weak model.
  double offline_error_rate = 0;
  // Pessimistic end of the offline interval; none without a memo ([pilot] alone), and then the
  // test set is never called unrepresentative.
  std::optional<double> offline_error_rate_high;
  // How the arms are compared, fixed with the rest of the rule (added after the first release of
  // decision.json; a rule without them reads as split, 0.05, no ratio check).
  PilotMode mode = PilotMode::split;
  double alpha = 0.05;  // chance that looking every day ever calls a false clear win or worse
  // Planned share of requests routed to the challenger in split mode, for the sample-ratio
  // check. decision.json keeps it beside the rule (recommendation.pilot.traffic_share); the
  // gateway sets it from there or from its [pilot] table.
  std::optional<double> challenger_share;
};

// Net gain over keeping the baseline for a live error-rate gain at a live price:
// live months x volume x (gain x cost per error - (live price - modelled price)) + error mix
// - extra cost.
double pilot_net(const PilotRule& rule, double gain, std::optional<double> live_usd_per_query);

// The error-rate gain (baseline - challenger) at which pilot_net is 0 at the modelled price:
// (extra cost - error mix) / (live months x volume x cost per error). Empty when no gain can pay
// (nothing is earned per error avoided). Negative when the challenger is cheaper than the baseline.
std::optional<double> min_paying_gain(const PilotRule& rule);

// One arm of the live split, from delayed ground truth.
struct PilotArm {
  std::size_t labelled = 0;  // queries with ground truth
  std::size_t correct = 0;   // of those, without a counted error
  std::optional<double> latency_p50_ms, usd_per_query;
  std::size_t assigned = 0;  // requests routed to this arm (split mode's sample-ratio check)
};

// Shadow mode: both approaches answered the same labelled items.
struct PilotPairs {
  std::size_t labelled = 0;                 // items with ground truth and both answers
  std::size_t challenger_only_correct = 0;  // the challenger right, the baseline wrong
  std::size_t baseline_only_correct = 0;    // the baseline right, the challenger wrong
  std::size_t both_correct = 0;             // (the rest of `labelled` is both wrong)
};

// blocked: a sample-ratio mismatch, so the arms cannot be compared until the routing is fixed.
enum class PilotOutcome { pending, clear_win, marginal, worse, blocked };
// "pending", "clear win", "marginal", "worse", "blocked"
std::string to_string(PilotOutcome outcome);

struct PilotVerdict {
  PilotOutcome outcome = PilotOutcome::pending;
  double gain = 0;  // live: baseline error rate - challenger error rate
  // Its always-valid 1 - alpha interval (stats/confidence_sequence.h), on which the clear-win
  // and worse calls are made: it holds at every look, however often the team looks.
  double gain_low = -1, gain_high = 1;
  // The fixed-sample 95% interval (Newcombe), for display only: valid at one pre-planned look,
  // too narrow for deciding on a daily look. In shadow mode it ignores the pairing (wider).
  double fixed_low = -1, fixed_high = 1;
  // Labelled queries planned and collected per arm (shadow: both are the labelled pairs).
  double planned_per_arm = 0;
  std::size_t challenger_labelled = 0, baseline_labelled = 0;
  std::optional<SampleRatioCheck> sample_ratio;  // split mode with a planned share
  // Reported beside the outcome, never instead of it: the challenger's live interval lies wholly
  // below its offline one, so the test set may not represent live traffic.
  bool unrepresentative = false;
  std::string reason;
};

// How far the pilot is: days since its start and the days it planned.
struct PilotDays {
  double elapsed = 0;
  double planned = 0;
};

// The pre-registered verdict, safe to ask for after every day of the pilot:
// - blocked: the split's request counts do not match the planned share (p < 0.001);
// - worse: the challenger is worse live even at the optimistic end of the gain (gain_high < 0),
//   and that end does not pay either (pilot_net(gain_high) < 0 at the live price): a challenger
//   cheaper than the baseline is worse only when it loses more accuracy than its savings pay for;
// - clear win: the pessimistic end of the gain still pays (pilot_net(gain_low) >= 0 at the live
//   price) and latency is within its limit. The two regions never overlap, so more evidence of
//   the same difference never turns one call into the other;
// - pending while fewer than the planned labelled queries are in, or (given `days`) fewer than
//   the planned days have passed, and neither call holds;
// - marginal: the planned sample and days are in and neither call holds.
// Split mode judges the two arms; shadow mode (rule.mode) needs the pairs and throws
// std::invalid_argument without them (split mode throws when given pairs).
PilotVerdict judge_pilot(const PilotRule& rule, const PilotArm& challenger,
                         const PilotArm& baseline,
                         const std::optional<PilotPairs>& pairs = std::nullopt,
                         const std::optional<PilotDays>& days = std::nullopt);

nlohmann::json to_json(const PilotRule& rule);
// Throws UserError naming the key when the rule is incomplete or a value is out of range.
PilotRule pilot_rule_from_json(const nlohmann::json& rule);

}  // namespace tunecase::econ
