#include "tunecase/economics/pilot_rule.h"

#include <algorithm>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/economics/money.h"
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
  Interval live = wilson_interval(c.correct, c.labelled);
  return live.hi < 1 - r.offline_error_rate_high;
}

}  // namespace

double pilot_net(const PilotRule& r, double gain, std::optional<double> live_usd_per_query) {
  double dearer = 0;
  if (live_usd_per_query && r.usd_per_query)
    dearer = std::max(0.0, *live_usd_per_query - *r.usd_per_query);
  return r.live_months * r.queries_per_month * (gain * r.cost_per_error_usd - dearer) -
         r.extra_cost_usd;
}

std::optional<double> min_paying_gain(const PilotRule& r) {
  double per_point = r.live_months * r.queries_per_month * r.cost_per_error_usd;
  if (per_point <= 0) return std::nullopt;
  return r.extra_cost_usd / per_point;
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
  }
  return "pending";
}

PilotVerdict judge_pilot(const PilotRule& r, const PilotArm& c, const PilotArm& b) {
  PilotVerdict v;
  size_t fewest = std::min(c.labelled, b.labelled);
  if (fewest < r.min_labelled_per_arm) {
    v.reason = fmt::format("{} of {} labelled queries per arm so far", count(double(fewest)),
                           count(r.min_labelled_per_arm));
    return v;
  }
  TwoProportionResult t = two_proportion_test(c.correct, c.labelled, b.correct, b.labelled);
  v.gain = t.diff;
  v.gain_low = t.diff_ci95.lo;
  v.gain_high = t.diff_ci95.hi;
  v.unrepresentative = below_offline(r, c);
  if (v.gain <= 0) {
    v.outcome = PilotOutcome::worse;
    v.reason = fmt::format("{} is no better than {} live", r.challenger, r.baseline);
    return v;
  }
  double net = pilot_net(r, v.gain_low, c.usd_per_query);
  bool slow = r.max_latency_p50_ms && c.latency_p50_ms && *c.latency_p50_ms > *r.max_latency_p50_ms;
  v.outcome = net >= 0 && !slow ? PilotOutcome::clear_win : PilotOutcome::marginal;
  v.reason = fmt::format("live gain {} (low end {}) is worth {} net over the horizon",
                         points(r, v.gain), points(r, v.gain_low), money(net));
  if (slow)
    v.reason += fmt::format("; latency p50 {:.3g} ms is above the {:.3g} ms limit",
                            *c.latency_p50_ms, *r.max_latency_p50_ms);
  return v;
}

json to_json(const PilotRule& r) {
  return {{"challenger", r.challenger},
          {"baseline", r.baseline},
          {"counted_error", r.accuracy_mode ? "wrong answer" : "harmful incident"},
          {"min_labelled_per_arm", r.min_labelled_per_arm},
          {"queries_per_month", r.queries_per_month},
          {"cost_per_error_usd", r.cost_per_error_usd},
          {"live_months", r.live_months},
          {"extra_cost_usd", r.extra_cost_usd},
          {"usd_per_query", optional_number(r.usd_per_query)},
          {"max_latency_p50_ms", optional_number(r.max_latency_p50_ms)},
          {"offline_error_rate", r.offline_error_rate},
          {"offline_error_rate_high", r.offline_error_rate_high},
          {"min_paying_gain", optional_number(min_paying_gain(r))},
          {"gain_interval", "Newcombe 95% interval of (challenger - baseline) live accuracy"},
          {"clear_win",
           "live months x queries_per_month x (gain_low x cost_per_error_usd - max(0, live "
           "usd_per_query - usd_per_query)) - extra_cost_usd >= 0, and live latency p50 <= "
           "max_latency_p50_ms"},
          {"marginal", "gain > 0 but not a clear win"},
          {"worse", "gain <= 0"},
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
  r.min_labelled_per_arm = number(j, "min_labelled_per_arm");
  r.queries_per_month = number(j, "queries_per_month");
  r.cost_per_error_usd = number(j, "cost_per_error_usd");
  r.live_months = number(j, "live_months");
  r.extra_cost_usd = number(j, "extra_cost_usd");
  r.usd_per_query = optional_from(j, "usd_per_query");
  r.max_latency_p50_ms = optional_from(j, "max_latency_p50_ms");
  r.offline_error_rate = number(j, "offline_error_rate");
  r.offline_error_rate_high = number(j, "offline_error_rate_high");
  return r;
}

}  // namespace tunecase::econ
