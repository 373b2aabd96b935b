// The pilot's verdict rule: judged by money, written into decision.json, applied to live arms.
#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/economics/decision_json.h"
#include "tunecase/economics/pilot_rule.h"
#include "tunecase/economics/recommendation.h"

namespace tunecase::econ {
namespace {

// The issue's bake-off: a 25.7% baseline and a trained challenger at 88.8% [85.9, 91.3].
Decision bake_off() {
  nlohmann::json eval = nlohmann::json::parse(R"({
    "dataset": {"train": 3000, "dev": 400, "test": 1076},
    "approaches": [
      {"name": "api-zero-shot", "kind": "openai", "accuracy": 0.257,
       "accuracy_ci95": [0.232, 0.284], "usd_per_1k": 0.5, "latency_ms": {"p50": 400}},
      {"name": "local-linear", "kind": "linear", "accuracy": 0.888,
       "accuracy_ci95": [0.859, 0.913], "usd_per_1k": 0.0, "usd_per_month": 1372,
       "cost_basis": "hosting $0.95/hour / measured throughput", "latency_ms": {"p50": 0.3}}],
    "pairwise": []})");
  ProjectConfig config = parse_config(R"([data]
path = "x.csv"
[business]
queries_per_day = 10000
cost_per_error_usd = 2.5
engineer_usd_per_week = 5000
[[approach]]
name = "api-zero-shot"
kind = "openai"
[[approach]]
name = "local-linear"
kind = "linear"
engineering_weeks = 2
)",
                                      "p.toml");
  return decide(read_scenario(config, &eval));
}

PilotArm arm(size_t labelled, size_t correct) {
  PilotArm a;
  a.labelled = labelled;
  a.correct = correct;
  return a;
}

TEST(PilotRule, LiveResultThatPaysIsAClearWinEvenBelowTheOfflineInterval) {
  Decision d = bake_off();
  ASSERT_TRUE(d.pilot.needed);
  const PilotRule& rule = d.pilot.rule;
  size_t n = static_cast<size_t>(std::max(rule.min_labelled_per_arm, 1000.0));
  // Live 80% against 25.7%: far below the offline 85.9-91.3%, but worth far more than it costs.
  PilotVerdict v = judge_pilot(rule, arm(n, n * 80 / 100), arm(n, n * 257 / 1000));
  EXPECT_EQ(v.outcome, PilotOutcome::clear_win) << v.reason;
  EXPECT_TRUE(v.unrepresentative);  // reported beside the verdict, not folded into it
  PilotVerdict as_offline = judge_pilot(rule, arm(n, n * 888 / 1000), arm(n, n * 257 / 1000));
  EXPECT_EQ(as_offline.outcome, PilotOutcome::clear_win);
  EXPECT_FALSE(as_offline.unrepresentative);
}

PilotRule dear_rule() {
  PilotRule r;
  r.challenger = "tuned";
  r.baseline = "api";
  r.min_labelled_per_arm = 1000;
  r.queries_per_month = 100'000;
  r.cost_per_error_usd = 1;
  r.live_months = 10;
  r.extra_cost_usd = 50'000;  // needs a gain of 5 points: 50,000 / (10 x 100,000 x $1)
  r.usd_per_query = 0.001;
  r.max_latency_p50_ms = 100;
  r.offline_error_rate = 0.15;
  r.offline_error_rate_high = 0.18;
  return r;
}

TEST(PilotRule, GainThatDoesNotPayIsMarginalAndNoGainIsWorse) {
  PilotRule r = dear_rule();
  ASSERT_NEAR(*min_paying_gain(r), 0.05, 1e-12);
  // 3 points better live: better, but even the point estimate does not pay.
  EXPECT_EQ(judge_pilot(r, arm(2000, 1660), arm(2000, 1600)).outcome, PilotOutcome::marginal);
  EXPECT_EQ(judge_pilot(r, arm(2000, 1600), arm(2000, 1600)).outcome, PilotOutcome::worse);
  EXPECT_EQ(judge_pilot(r, arm(2000, 1560), arm(2000, 1600)).outcome, PilotOutcome::worse);
  // 15 points better: the low end of the interval still clears 5 points.
  EXPECT_EQ(judge_pilot(r, arm(2000, 1900), arm(2000, 1600)).outcome, PilotOutcome::clear_win);
}

TEST(PilotRule, PendingUntilThePlannedSampleIsIn) {
  PilotVerdict v = judge_pilot(dear_rule(), arm(999, 990), arm(5000, 3000));
  EXPECT_EQ(v.outcome, PilotOutcome::pending);
  EXPECT_NE(v.reason.find("999 of 1,000"), std::string::npos);
}

TEST(PilotRule, DearerLivePriceOrSlowerLatencyTakesAwayTheClearWin) {
  PilotRule r = dear_rule();
  PilotArm good = arm(2000, 1900), base = arm(2000, 1600);
  good.usd_per_query = 0.001;
  good.latency_p50_ms = 80;
  ASSERT_EQ(judge_pilot(r, good, base).outcome, PilotOutcome::clear_win);
  PilotArm dear = good;
  dear.usd_per_query = 0.2;  // $0.199 more a query eats the whole gain
  EXPECT_EQ(judge_pilot(r, dear, base).outcome, PilotOutcome::marginal);
  PilotArm slow = good;
  slow.latency_p50_ms = 150;
  PilotVerdict v = judge_pilot(r, slow, base);
  EXPECT_EQ(v.outcome, PilotOutcome::marginal);
  EXPECT_NE(v.reason.find("latency"), std::string::npos);
}

TEST(PilotRule, DecisionJsonCarriesARuleTheGatewayCanApply) {
  Decision d = bake_off();
  nlohmann::json j = decision_json(d);
  const nlohmann::json& rule = j["recommendation"]["pilot"]["rule"];
  ASSERT_TRUE(rule.is_object());
  PilotRule read = pilot_rule_from_json(rule);
  EXPECT_EQ(read.challenger, "local-linear");
  EXPECT_EQ(read.baseline, "api-zero-shot");
  EXPECT_DOUBLE_EQ(read.extra_cost_usd, d.pilot.rule.extra_cost_usd);
  EXPECT_DOUBLE_EQ(read.min_labelled_per_arm, d.pilot.rule.min_labelled_per_arm);
  EXPECT_TRUE(rule["min_paying_gain"].is_number());
  PilotArm c = arm(2000, 1500), b = arm(2000, 600);
  EXPECT_EQ(judge_pilot(read, c, b).outcome, judge_pilot(d.pilot.rule, c, b).outcome);
}

TEST(PilotRule, IncompleteRuleNamesTheMissingKey) {
  nlohmann::json rule = to_json(dear_rule());
  rule.erase("extra_cost_usd");
  try {
    pilot_rule_from_json(rule);
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("pilot.rule.extra_cost_usd"), std::string::npos);
  }
}

}  // namespace
}  // namespace tunecase::econ
