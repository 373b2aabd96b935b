#include "tunecase/economics/pilot_rule.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/number_format.h"
#include "tunecase/economics/money.h"
#include "tunecase/stats/confidence_sequence.h"
#include "tunecase/stats/proportion.h"
#include "tunecase/stats/two_proportion.h"

namespace tunecase::econ {
namespace {

using nlohmann::json;

json optional_number(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

double number(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number())
    throw UserError(
        fmt::format("decision.json: pilot.rule.{} is missing or not a number; "
                    "re-run tunecase decide",
                    key));
  return j[key].get<double>();
}

std::optional<double> optional_from(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return number(j, key);
}

std::string points(const PilotRule& r, double gain) {
  return fmt::format("{:.1f} points of {}", gain * 100,
                     r.accuracy_mode ? "accuracy" : "harmful-error rate");
}

// The challenger's live accuracy interval lies wholly below (worse than) the offline one.
bool below_offline(const PilotRule& r, const PilotArm& c) {
  if (!r.offline_error_rate_high) return false;
  Interval live = wilson_interval(c.correct, c.labelled);
  return live.hi < 1 - *r.offline_error_rate_high;
}

// The sample the sequence is tuned for when a rule plans none.
constexpr double kDefaultPlannedPerArm = 1000;

double planned_per_arm(const PilotRule& r) {
  return r.min_labelled_per_arm > 0 ? r.min_labelled_per_arm : kDefaultPlannedPerArm;
}

// The live comparison before any rule is applied: gain, its intervals, the sample so far.
PilotVerdict measure_split(const PilotRule& r, const PilotArm& c, const PilotArm& b) {
  PilotVerdict v;
  TwoProportionResult t = two_proportion_test(c.correct, c.labelled, b.correct, b.labelled);
  Interval cs = difference_sequence(c.correct, c.labelled, b.correct, b.labelled,
                                    {r.alpha, planned_per_arm(r)});
  v.gain = t.diff;
  v.gain_low = cs.lo;
  v.gain_high = cs.hi;
  v.fixed_low = t.diff_ci95.lo;
  v.fixed_high = t.diff_ci95.hi;
  v.challenger_labelled = c.labelled;
  v.baseline_labelled = b.labelled;
  if (r.challenger_share && c.assigned + b.assigned > 0) {
    std::array<std::size_t, 2> observed{c.assigned, b.assigned};
    std::array<double, 2> planned{*r.challenger_share, 1 - *r.challenger_share};
    v.sample_ratio = sample_ratio_check(observed, planned);
  }
  return v;
}

PilotVerdict measure_shadow(const PilotRule& r, const PilotPairs& p, const PilotArm& c,
                            const PilotArm& b) {
  PilotVerdict v;
  Interval cs = paired_difference_sequence(p.labelled, p.challenger_only_correct,
                                           p.baseline_only_correct, {r.alpha, planned_per_arm(r)});
  // The fixed-sample interval of paired answers is the paired one (the unpaired interval on the
  // arms' totals ignores that both answered the same items, and is far wider).
  const std::size_t disagree = p.challenger_only_correct + p.baseline_only_correct;
  const std::size_t both_wrong =
      p.labelled >= p.both_correct + disagree ? p.labelled - p.both_correct - disagree : 0;
  Interval fixed =
      p.labelled > 0 ? paired_difference_interval(p.both_correct, p.challenger_only_correct,
                                                  p.baseline_only_correct, both_wrong)
                     : two_proportion_test(c.correct, c.labelled, b.correct, b.labelled).diff_ci95;
  if (p.labelled > 0)
    v.gain =
        (double(p.challenger_only_correct) - double(p.baseline_only_correct)) / double(p.labelled);
  v.gain_low = cs.lo;
  v.gain_high = cs.hi;
  v.fixed_low = fixed.lo;
  v.fixed_high = fixed.hi;
  v.challenger_labelled = v.baseline_labelled = p.labelled;
  return v;
}

std::string interval_text(const PilotRule& r, const PilotVerdict& v) {
  return fmt::format("live gain {:+.1f} points, always-valid {:.0f}% interval {:+.1f} to {:+.1f}",
                     v.gain * 100, (1 - r.alpha) * 100, v.gain_low * 100, v.gain_high * 100);
}

std::string collected_text(const PilotRule& r, const PilotVerdict& v) {
  return fmt::format("{} {} and {} {} of {} planned labelled queries per arm{}", r.challenger,
                     count(double(v.challenger_labelled)), r.baseline,
                     count(double(v.baseline_labelled)), count(v.planned_per_arm),
                     v.planned_per_arm < kMinLabelledForACall
                         ? fmt::format(" (and no call before {:g})", kMinLabelledForACall)
                         : "");
}

std::string mismatch_text(const PilotRule& r, const PilotArm& c, const PilotArm& b,
                          const SampleRatioCheck& s) {
  double share = double(c.assigned) / double(c.assigned + b.assigned);
  return fmt::format(
      "sample-ratio mismatch: {} received {} of {} requests ({}), planned {} ({} p = "
      "{:.2g}); the arms no longer see the same traffic, so there is no verdict until the "
      "routing is fixed (a failing arm, a bot, a cache, a changed salt or [pilot] share during "
      "the pilot, or one id sent for many requests, since every request of an id goes to one "
      "arm, are the usual causes)",
      r.challenger, count(double(c.assigned)), count(double(c.assigned + b.assigned)),
      percent(share), percent(*r.challenger_share), s.exact ? "exact binomial" : "chi-square",
      s.p_value);
}

// Applies the rule to a measured comparison (see judge_pilot in the header).
void apply_rule(const PilotRule& r, const PilotArm& c, const std::optional<PilotDays>& days,
                PilotVerdict& v) {
  double net = pilot_net(r, v.gain_low, c.usd_per_query);
  double net_high = pilot_net(r, v.gain_high, c.usd_per_query);
  bool slow = r.max_latency_p50_ms && c.latency_p50_ms && *c.latency_p50_ms > *r.max_latency_p50_ms;
  // The confidence sequence is asymptotic (a normal approximation): no call is made on fewer than
  // 30 labelled queries per arm, whatever it says, even when the plan needs fewer (with 18, as a
  // low-volume plan has, daily looks made 5.4-5.8% false calls).
  bool any_data = v.challenger_labelled > 0 && v.baseline_labelled > 0;
  bool some_data =
      double(std::min(v.challenger_labelled, v.baseline_labelled)) >= kMinLabelledForACall;
  // Marginal is a call too ("keep the baseline"): not before 30 per arm either, whatever the
  // plan (a hand-edited plan of 0, or a small one) says, nor before the planned days, which the
  // plan set to cover the weekly cycle of the traffic; clear win and worse may come any day.
  bool sample_in = some_data && double(std::min(v.challenger_labelled, v.baseline_labelled)) >=
                                    r.min_labelled_per_arm;
  bool days_in = !days || days->elapsed >= days->planned;
  // Less accurate even at the optimistic end, and that end does not pay either: a cheaper
  // challenger's small loss that its savings pay for is not "worse" (it may be a clear win).
  if (some_data && v.gain_high < 0 && net_high < 0) {
    v.outcome = PilotOutcome::worse;
    v.reason =
        fmt::format("{} is worse than {} live: {}", r.challenger, r.baseline, interval_text(r, v));
    if (r.business_case && min_paying_gain(r).value_or(0) < 0)
      v.reason += fmt::format(
          "; even the high end, {}, loses more than its lower cost saves ({} "
          "net over the horizon)",
          points(r, v.gain_high), money(net_high));
    return;
  }
  std::string worth =
      r.business_case
          ? fmt::format("{}; the low end, {}, is worth {} net over the horizon",
                        interval_text(r, v), points(r, v.gain_low), money(net))
          : fmt::format(
                "{}; the low end, {}, is {:+.1f} points from the {:+.1f}-point gain a "
                "clear win needs (min_gain)",
                interval_text(r, v), points(r, v.gain_low), 100 * net, 100 * r.extra_cost_usd);
  if (r.business_case && r.error_mix_usd != 0)
    worth += fmt::format(
        " (per-label error costs: the live gain in accuracy is priced at {} an error, the mean "
        "cost of {}'s test errors, plus {} for the two arms' error mixes, as if each arm's errors "
        "fall on the labels as on the test split; the pilot measures accuracy, not which labels "
        "its errors fall on: read error_patterns' per-label accuracy)",
        money(r.cost_per_error_usd), r.challenger, money(r.error_mix_usd));
  if (slow)
    worth += fmt::format("; latency p50 {:.3g} ms is above the {:.3g} ms limit", *c.latency_p50_ms,
                         *r.max_latency_p50_ms);
  if (some_data && net >= 0 && !slow) {
    v.outcome = PilotOutcome::clear_win;
    v.reason = worth;
    // Paid for by a lower cost (or within the loss min_gain accepts), not by accuracy: the team
    // should know what it gives up.
    const char* why = r.business_case ? "a loss its lower cost pays for"
                                      : "a loss within the one min_gain accepts";
    if (v.gain_high < 0)
      v.reason += fmt::format("; {} is less accurate than {} live, by {:.1f} to {:.1f} points, {}",
                              r.challenger, r.baseline, -v.gain_high * 100, -v.gain_low * 100, why);
    else if (v.gain_low < 0)
      v.reason += fmt::format("; {} may be up to {:.1f} points less accurate than {} live, {}",
                              r.challenger, -v.gain_low * 100, r.baseline, why);
  } else if (sample_in && days_in) {
    v.outcome = PilotOutcome::marginal;
    v.reason = fmt::format("neither a clear win nor worse with the planned sample in: {}", worth);
  } else {
    v.outcome = PilotOutcome::pending;
    v.reason = sample_in ? fmt::format(
                               "collecting: the planned labelled queries are in ({}), "
                               "{} of the {:g} planned days have passed; marginal "
                               "waits for the end of the plan, a clear win or worse "
                               "may be called any day",
                               // Rounded down: 1.96 of 2 days is not "2.0 of the 2".
                               collected_text(r, v), tenths_down(days->elapsed), days->planned)
                         : fmt::format("collecting: {}", collected_text(r, v));
    if (any_data) v.reason += "; so far " + worth;
    // The interval alone would call it: say what holds the call back.
    if (any_data && ((v.gain_high < 0 && net_high < 0) || (net >= 0 && !slow)) &&
        v.planned_per_arm >= kMinLabelledForACall)  // a smaller plan's text says it already
      v.reason +=
          fmt::format("; no call before {:g} labelled per arm (the interval is a large-sample one)",
                      kMinLabelledForACall);
  }
}

}  // namespace

double pilot_net(const PilotRule& r, double gain, std::optional<double> live_usd_per_query) {
  double dearer = 0;
  if (live_usd_per_query && r.usd_per_query)
    dearer = std::max(0.0, *live_usd_per_query - *r.usd_per_query);
  return r.live_months * r.queries_per_month * (gain * r.cost_per_error_usd - dearer) +
         r.error_mix_usd - r.extra_cost_usd;
}

std::optional<double> min_paying_gain(const PilotRule& r) {
  double per_point = r.live_months * r.queries_per_month * r.cost_per_error_usd;
  if (per_point <= 0) return std::nullopt;
  return (r.extra_cost_usd - r.error_mix_usd) / per_point;
}

std::string to_string(PilotOutcome outcome) {
  switch (outcome) {
    case PilotOutcome::pending:
      return "pending";
    case PilotOutcome::clear_win:
      return "clear win";
    case PilotOutcome::marginal:
      return "marginal";
    case PilotOutcome::worse:
      return "worse";
    case PilotOutcome::blocked:
      return "blocked";
  }
  return "pending";
}

PilotVerdict judge_pilot(const PilotRule& r, const PilotArm& c, const PilotArm& b,
                         const std::optional<PilotPairs>& pairs,
                         const std::optional<PilotDays>& days) {
  bool shadow = r.mode == PilotMode::shadow;
  if (shadow != pairs.has_value())
    throw std::invalid_argument(shadow ? "judge_pilot: a shadow pilot is judged on its pairs"
                                       : "judge_pilot: a split pilot has no pairs");
  PilotVerdict v = shadow ? measure_shadow(r, *pairs, c, b) : measure_split(r, c, b);
  v.planned_per_arm = r.min_labelled_per_arm;
  v.unrepresentative = c.labelled > 0 && below_offline(r, c);
  if (v.sample_ratio && v.sample_ratio->mismatch) {
    v.outcome = PilotOutcome::blocked;
    v.reason = mismatch_text(r, c, b, *v.sample_ratio);
    return v;
  }
  apply_rule(r, c, days, v);
  return v;
}

json to_json(const PilotRule& r) {
  return {{"challenger", r.challenger},
          {"baseline", r.baseline},
          {"counted_error", r.accuracy_mode ? "wrong answer" : "harmful incident"},
          {"business_case", r.business_case},
          {"min_labelled_per_arm", r.min_labelled_per_arm},
          {"queries_per_month", r.queries_per_month},
          {"cost_per_error_usd", r.cost_per_error_usd},
          {"live_months", r.live_months},
          {"extra_cost_usd", r.extra_cost_usd},
          {"error_mix_usd", r.error_mix_usd},
          {"usd_per_query", optional_number(r.usd_per_query)},
          {"max_latency_p50_ms", optional_number(r.max_latency_p50_ms)},
          {"offline_error_rate", r.offline_error_rate},
          {"offline_error_rate_high", optional_number(r.offline_error_rate_high)},
          {"min_paying_gain", optional_number(min_paying_gain(r))},
          {"mode", r.mode == PilotMode::shadow ? "shadow" : "split"},
          {"alpha", r.alpha},
          {"challenger_share", optional_number(r.challenger_share)},
          {"gain_interval",
           "always-valid (1 - alpha) confidence sequence of (challenger - baseline) live accuracy: "
           "asymptotic confidence sequence (Robbins normal mixture, Waudby-Smith et al. 2024) "
           "tuned to min_labelled_per_arm; it holds at every look, so the verdict may be read "
           "daily; paired on the same items in shadow mode"},
          {"fixed_sample_interval",
           "Newcombe 95% interval, shown for a single look only; the verdict never uses it"},
          {"clear_win",
           "live months x queries_per_month x (gain_low x cost_per_error_usd - max(0, live "
           "usd_per_query - usd_per_query)) + error_mix_usd - extra_cost_usd >= 0, and live "
           "latency p50 <= "
           "max_latency_p50_ms, once both arms have 30 labelled queries (the interval is "
           "asymptotic)"},
          {"marginal",
           "neither clear win nor worse once both arms have min_labelled_per_arm labelled "
           "queries, and at least 30, and the pilot's planned days have passed"},
          {"worse",
           "gain_high < 0 and the same net at gain_high < 0: the challenger is worse live even "
           "at the optimistic end, by more than a lower cost pays for, once both arms have 30 "
           "labelled queries"},
          {"pending",
           "neither clear win nor worse before min_labelled_per_arm (and at least 30) is in per "
           "arm and the planned days have passed"},
          {"blocked",
           "split mode: the requests per arm differ from challenger_share (exact binomial test, "
           "p < 0.001): no verdict until the routing is fixed"},
          {"unrepresentative",
           "reported beside the outcome: the challenger's live 95% interval is wholly above "
           "offline_error_rate_high (the test set may not represent live traffic)"}};
}

PilotRule pilot_rule_from_json(const json& j) {
  if (!j.is_object())
    throw UserError("decision.json: pilot.rule is missing; re-run tunecase decide");
  PilotRule r;
  r.challenger = j.value("challenger", std::string());
  r.baseline = j.value("baseline", std::string());
  if (r.challenger.empty() || r.baseline.empty())
    throw UserError("decision.json: pilot.rule needs challenger and baseline names");
  r.accuracy_mode = j.value("counted_error", std::string("wrong answer")) == "wrong answer";
  r.business_case = !j.contains("business_case") || !j["business_case"].is_boolean() ||
                    j["business_case"].get<bool>();
  r.min_labelled_per_arm = number(j, "min_labelled_per_arm");
  if (!(r.min_labelled_per_arm >= 0))
    throw UserError(fmt::format(
        "decision.json: pilot.rule.min_labelled_per_arm must be 0 or more, not {:g}; re-run "
        "tunecase decide",
        r.min_labelled_per_arm));
  r.queries_per_month = number(j, "queries_per_month");
  r.cost_per_error_usd = number(j, "cost_per_error_usd");
  r.live_months = number(j, "live_months");
  r.extra_cost_usd = number(j, "extra_cost_usd");
  // Rules written before per-label costs have none: one flat cost per error.
  if (j.contains("error_mix_usd") && j["error_mix_usd"].is_number())
    r.error_mix_usd = j["error_mix_usd"].get<double>();
  r.usd_per_query = optional_from(j, "usd_per_query");
  r.max_latency_p50_ms = optional_from(j, "max_latency_p50_ms");
  r.offline_error_rate = number(j, "offline_error_rate");
  r.offline_error_rate_high = optional_from(j, "offline_error_rate_high");
  std::string mode = j.value("mode", std::string("split"));
  if (mode != "split" && mode != "shadow")
    throw UserError(fmt::format(
        "decision.json: pilot.rule.mode is \"{}\"; expected \"split\" or \"shadow\"", mode));
  r.mode = mode == "shadow" ? PilotMode::shadow : PilotMode::split;
  if (std::optional<double> alpha = optional_from(j, "alpha")) r.alpha = *alpha;
  if (!(r.alpha > 0 && r.alpha < 1))
    throw UserError("decision.json: pilot.rule.alpha must be between 0 and 1, e.g. 0.05");
  r.challenger_share = optional_from(j, "challenger_share");
  if (r.challenger_share && !(*r.challenger_share > 0 && *r.challenger_share < 1))
    throw UserError(
        "decision.json: pilot.rule.challenger_share must be between 0 and 1, e.g. 0.05");
  return r;
}

}  // namespace tunecase::econ
