// Findings of an independent recomputation of `decide`: ties, the value question of the
// checklist, gain over keeping the baseline, small rates, break-even rounding, hosting wording,
// an unknown task horizon and close calls.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/economics/analysis.h"
#include "tunecase/economics/decision_json.h"
#include "tunecase/economics/memo.h"
#include "tunecase/economics/memo_tables.h"
#include "tunecase/economics/money.h"
#include "tunecase/economics/recommendation.h"
#include "tunecase/economics/what_it_takes.h"

namespace tunecase::econ {
namespace {

const char* kThree = R"(
[data]
path = "x.csv"
[business]
queries_per_day = 10000
cost_per_error_usd = 2.5
engineer_usd_per_week = 5000
monitoring_usd_per_month = 300
[[approach]]
name = "api"
kind = "openai"
accuracy = 0.70
usd_per_query = 0.004
[[approach]]
name = "cheap"
kind = "openai"
accuracy = 0.80
usd_per_query = 0.004
[[approach]]
name = "dear"
kind = "openai"
accuracy = 0.90
usd_per_query = 0.004
)";

Scenario three() {
  return read_scenario(parse_config(kThree, "t.toml"), nullptr);
}

ApproachInputs& approach(Scenario& s, const std::string& name) {
  for (auto& a : s.approaches) {
    if (a.name == name) return a;
  }
  throw std::runtime_error(name);
}

const ApproachResult& result(const Analysis& a, const std::string& name) {
  for (const auto& r : a.results) {
    if (r.name == name) return r;
  }
  throw std::runtime_error(name);
}

// Raises `name`'s price until its net benefit is `target` (net is linear in the price).
void set_net(Scenario& s, const std::string& name, double target) {
  double net0 = result(analyse(s), name).net.get();
  double per_dollar = s.business.queries_per_month.get() * s.business.horizon_months.get();
  approach(s, name).usd_per_query.value =
      approach(s, name).usd_per_query.get() + (net0 - target) / per_dollar;
}

TEST(Recomputation, TieWithinACentGoesToTheCheaperApproach) {
  Scenario s = three();
  double cheap_net = result(analyse(s), "cheap").net.get();
  set_net(s, "dear", cheap_net + 1e-7);  // equal to the cent, ahead by floating-point noise
  Analysis a = analyse(s);
  ASSERT_GT(result(a, "dear").net.get(), result(a, "cheap").net.get());
  ASSERT_GT(result(a, "dear").horizon_cost.get(), result(a, "cheap").horizon_cost.get());
  EXPECT_EQ(a.results[*a.best].name, "cheap");
  EXPECT_TRUE(same_money(1.0, 1.004));
  EXPECT_FALSE(same_money(1.0, 1.01));
}

// A tie with the baseline is no reason to switch: two approaches at 66.7% for the same price
// had read "Lean towards" the other, with a 90-day pilot to find a difference of 0.
TEST(Recomputation, ATieWithTheBaselineKeepsTheBaseline) {
  Scenario s = three();
  set_net(s, "cheap", 0.0);  // the baseline's own net benefit
  set_net(s, "dear", -1000.0);
  Analysis a = analyse(s);
  ASSERT_TRUE(same_money(result(a, "cheap").net.get(), result(a, "api").net.get()));
  EXPECT_EQ(a.results[*a.best].name, "api");
  Decision d = decide(s);
  EXPECT_EQ(d.pick, "api");
  bool said = false;
  for (const auto& reason : d.reasons)
    said =
        said || reason.find("api is recommended because it is what runs now") != std::string::npos;
  EXPECT_TRUE(said) << testing::PrintToString(d.reasons);
}

TEST(Recomputation, NetBenefitIsTheGainOverKeepingTheBaseline) {
  Analysis a = analyse(three());
  // Keeping api: $0.004 x 300,000 x 12 + $300 x 12 monitoring.
  EXPECT_NEAR(a.keep_baseline_cost.get(), 14'400 + 3'600, 1e-6);
  EXPECT_NEAR(result(a, "api").net.get(), 0, 1e-9);
  const ApproachResult& cheap = result(a, "cheap");
  // Same running cost as the baseline: the gain is the whole value, 0.1 x 300,000 x $2.5 x 12.
  EXPECT_NEAR(cheap.extra_cost.get(), 0, 1e-6);
  EXPECT_NEAR(cheap.net.get(), 900'000, 1e-6);
  EXPECT_NEAR(cheap.horizon_cost.get(), 18'000, 1e-6);  // the absolute cost is kept beside it
  std::string memo = memo_markdown(decide(three()));
  EXPECT_NE(memo.find("keeping it costs $18,000"), std::string::npos);
  EXPECT_NE(memo.find("extra vs api"), std::string::npos);
}

TEST(Recomputation, ValueQuestionIsUnknownInScenarioMode) {
  Decision d = decide(three());
  const ChecklistItem& q2 = d.checklist.items[1];
  EXPECT_FALSE(q2.answer.has_value());
  EXPECT_EQ(q2.source, "assumed");
  EXPECT_NE(q2.evidence.find("not measured"), std::string::npos);
  EXPECT_EQ(q2.evidence.find("low end of its interval"), std::string::npos);
}

nlohmann::json two_approach_eval(double big_usd_per_1k) {
  return nlohmann::json::parse(R"({
    "dataset": {"train": 700, "dev": 100, "test": 200},
    "approaches": [
      {"name": "api", "kind": "openai", "accuracy": 0.70, "accuracy_ci95": [0.65, 0.75],
       "usd_per_1k": 1.0, "latency_ms": {"p50": 300}},
      {"name": "api-big", "kind": "openai", "accuracy": 0.80, "accuracy_ci95": [0.75, 0.85],
       "usd_per_1k": )" + std::to_string(big_usd_per_1k) +
                               R"(, "latency_ms": {"p50": 500}}],
    "pairwise": []})");
}

Decision decide_eval(const nlohmann::json& eval, double cost_per_error) {
  std::string toml =
      "[data]\npath = \"x.csv\"\n[business]\nqueries_per_day = 10000\n"
      "cost_per_error_usd = " +
      std::to_string(cost_per_error) +
      "\nengineer_usd_per_week = 5000\n[[approach]]\nname = \"api\"\n"
      "kind = \"openai\"\n[[approach]]\nname = \"api-big\"\nkind = \"openai\"\n";
  return decide(read_scenario(parse_config(toml, "e.toml"), &eval));
}

TEST(Recomputation, ValueQuestionIsJudgedNetOfTheExtraRunningCost) {
  // At the low end api-big avoids 0.05 x 300,000 errors a month: $2,250 at $0.15 an error,
  // less than the $2,700 a month its dearer price adds.
  Decision d = decide_eval(two_approach_eval(10.0), 0.15);
  EXPECT_EQ(d.checklist.items[1].answer, false);
  // A "no" rests on the same assumed volume and cost of an error as a "yes" would.
  EXPECT_EQ(d.checklist.items[1].source, "assumed");
  Decision cheaper = decide_eval(two_approach_eval(2.0), 0.15);  // adds $300 a month
  EXPECT_EQ(cheaper.checklist.items[1].answer, true);
  EXPECT_NE(cheaper.checklist.items[1].evidence.find("$1,950"), std::string::npos);
}

TEST(Recomputation, SmallRatesKeepTwoSignificantDigits) {
  EXPECT_EQ(percent(0.0004), "0.04%");
  EXPECT_EQ(percent(0.00045), "0.045%");
  EXPECT_EQ(percent(0.84), "84.0%");
  EXPECT_EQ(percent(0), "0.0%");
}

const char* kHosted = R"(
[data]
path = "x.csv"
[business]
queries_per_day = 10000
cost_per_error_usd = 2.5
engineer_usd_per_week = 5000
[[approach]]
name = "api"
kind = "openai"
accuracy = 0.70
usd_per_query = 0.004
[[approach]]
name = "hosted"
kind = "linear"
accuracy = 0.86
hosting = { usd_per_month = 1000 }
usd_per_query = 0.001
engineering_weeks = 1
)";

TEST(Recomputation, BreakEvenVolumeIsNotRoundedUp) {
  // $1,000 / ($0.004 - $0.001) = 333,333.3 queries a month.
  Decision d = decide(read_scenario(parse_config(kHosted, "h.toml"), nullptr));
  Table t = break_even_table(d);
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0][1], "333,333");
  EXPECT_EQ(t.rows[0][4], "assumed");  // every figure says where it comes from
  for (const auto& row : quality_table(d).rows)
    EXPECT_TRUE(row[3].ends_with(" (assumed)")) << row[3];  // errors / month: assumed volume
  EXPECT_EQ(volume_text(68'965.5), "68,966");
  EXPECT_EQ(volume_text(12.25), "12.2");
}

TEST(Recomputation, MonthlyHostingBillIsNotCalledFixedInstances) {
  Decision d = decide(read_scenario(parse_config(kHosted, "h.toml"), nullptr));
  std::string memo = memo_markdown(d);
  EXPECT_EQ(memo.find("fixed instances"), std::string::npos);
  EXPECT_NE(memo.find("fixed hosting bill, $1,000 a month"), std::string::npos);
}

bool has_risk(const Decision& d, const std::string& text) {
  for (const auto& r : d.risks) {
    if (r.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(Recomputation, UnsetTaskStabilityIsUnknownNotAStatedChange) {
  Decision d = decide(read_scenario(parse_config(kHosted, "h.toml"), nullptr));
  ASSERT_EQ(d.pick, "hosted");
  EXPECT_TRUE(has_risk(d, "task_stable_months not set"));
  EXPECT_FALSE(has_risk(d, "may change within 6 months"));
  std::string text = kHosted;
  text.replace(text.find("engineer_usd_per_week"), 0, "task_stable_months = 4\n");
  Decision stated = decide(read_scenario(parse_config(text, "h.toml"), nullptr));
  EXPECT_TRUE(has_risk(stated, "expected to change within 4 months"));
}

TEST(Recomputation, RunnerUpWithinFivePercentIsACloseCall) {
  Scenario s = three();
  double dear_net = result(analyse(s), "dear").net.get();
  set_net(s, "cheap", dear_net * 0.992);  // 0.8% behind the pick
  Decision d = decide(s);
  ASSERT_EQ(d.pick, "dear");
  EXPECT_TRUE(has_risk(d, "Close call: cheap is only"));
  EXPECT_TRUE(has_risk(d, "(0.8%)"));
  Scenario apart = three();
  set_net(apart, "cheap", dear_net * 0.9);
  EXPECT_FALSE(has_risk(decide(apart), "Close call"));
  // A pick whose gain over keeping the baseline is $0.50 of a value in the millions: keeping the
  // baseline is the closest of calls (measured against $0.50 alone it read 100% behind).
  Scenario thin = three();
  set_net(thin, "cheap", -1e6);
  set_net(thin, "dear", 0.5);
  Decision near = decide(thin);
  ASSERT_EQ(near.pick, "dear") << near.headline;
  EXPECT_TRUE(has_risk(near, "Close call: api is only"))
      << fmt::format("{}", fmt::join(near.risks, "\n"));
}

// The baseline runs today: its one-time costs are spent. Keeping it costs its running cost alone,
// so an alternative with the same one-time cost and a tiny gain does not "pay" by the baseline's
// engineering (it had been recommended at a net of +$360 with a payback of 333 months).
TEST(Recomputation, TheBaselinesOneTimeCostIsSpentNotCountedAgainstKeepingIt) {
  const char* text = R"(
[business]
queries_per_day = 1000
cost_per_error_usd = 1
engineer_usd_per_week = 5000
horizon_months = 12
baseline = "today"
[[approach]]
name = "today"
kind = "openai"
accuracy = 0.80
usd_per_query = 0.001
engineering_weeks = 2
time_to_ship_weeks = 3
[[approach]]
name = "new-prompt"
kind = "openai"
accuracy = 0.801
usd_per_query = 0.001
engineering_weeks = 2
)";
  Decision d = decide(read_scenario(parse_config(text, "t.toml"), nullptr));
  const double months = 12, per_month = 1000 * 30.0;  // a month of 30 days
  EXPECT_NEAR(d.analysis.keep_baseline_cost.get(), 0.001 * per_month * months, 0.01);
  const ApproachResult& alt = result(d.analysis, "new-prompt");
  // Value of one point in a thousand over the horizon, minus the new prompt's $10,000 of work.
  EXPECT_NEAR(alt.net.get(), 0.001 * per_month * months * 1.0 - 10000, 0.01);
  EXPECT_EQ(d.pick, "today");
  EXPECT_EQ(result(d.analysis, "today").cost.one_time.get(), 0.0);
  EXPECT_EQ(result(d.analysis, "today").horizon_cost.get(), d.analysis.keep_baseline_cost.get());
}

// An unknown baseline price leaves the other approaches' own costs known: they are ranked by
// value minus their own cost (a floor under the gain over keeping the baseline), not marked
// UNKNOWN themselves because the baseline keeps running while they are built.
TEST(Recomputation, AnUnpricedBaselineDoesNotHideThePricesOfTheOthers) {
  const char* text = R"(
[business]
queries_per_day = 1000
cost_per_error_usd = 2
engineer_usd_per_week = 5000
baseline = "today"
[[approach]]
name = "today"
kind = "openai"
model = "in-house-model-x"
accuracy = 0.80
[[approach]]
name = "local"
kind = "linear"
accuracy = 0.90
hosting = { usd_per_month = 100 }
engineering_weeks = 2
time_to_ship_weeks = 2
[[approach]]
name = "api"
kind = "openai"
accuracy = 0.85
usd_per_query = 0.001
)";
  Decision d = decide(read_scenario(parse_config(text, "t.toml"), nullptr));
  ASSERT_EQ(d.pick, "local");
  const ApproachResult& local = result(d.analysis, "local");
  EXPECT_FALSE(local.horizon_cost.known());
  ASSERT_TRUE(local.own_cost.known());
  EXPECT_NEAR((local.value - local.own_cost).get(), 58077, 1.0);
  EXPECT_NE(d.headline.find("at least $58,077"), std::string::npos) << d.headline;
  // The sensitivity table watches that floor too, not an unknown read as $0.
  EXPECT_NEAR(d.sensitivity.base_net, 58077, 1.0);
  // The pilot's clear-win bar pays for local's own cost, not $0 ("any gain pays").
  EXPECT_NEAR(d.pilot.rule.extra_cost_usd, local.own_cost.get(), 1e-6);
  EXPECT_GT(d.pilot.rule.extra_cost_usd, 0);
  for (const std::string& r : d.reasons)
    EXPECT_EQ(r.find("local is not ranked"), std::string::npos);
  // The checklist's value question is not "no" for want of the baseline's price.
  for (const auto& item : d.checklist.items)
    if (item.question.find("accuracy gain help") != std::string::npos) {
      EXPECT_NE(item.evidence.find("at least"), std::string::npos) << item.evidence;
    }
}

// A pick whose cost keys were left out is counted at no cost for them: the memo says which, so
// an approach eval measured but the config prices at nothing is not forwarded as free.
TEST(Recomputation, APickWithCostKeysLeftOutSaysWhich) {
  Decision d = decide(three());
  ASSERT_EQ(d.pick, "dear");
  EXPECT_TRUE(has_risk(d, "COSTS NOT GIVEN for dear"));
  EXPECT_TRUE(has_risk(d, "engineering_weeks"));
  EXPECT_FALSE(has_risk(d, "training_usd"));  // a prompting approach trains nothing
}

// A cost per error derived from harmful_error_rate x cost_per_incident_usd traces back to both
// in the memo and in decision.json.
TEST(Recomputation, ADerivedCostPerErrorShowsItsInputs) {
  std::string text = kThree;
  text.replace(text.find("cost_per_error_usd = 2.5"),
               std::string("cost_per_error_usd = 2.5").size(),
               "harmful_error_rate = 0.1\ncost_per_incident_usd = 15");
  Decision d = decide(read_scenario(parse_config(text, "t.toml"), nullptr));
  EXPECT_NEAR(d.scenario.business.cost_per_error.get(), 1.5, 1e-12);
  nlohmann::json j = decision_json(d);
  EXPECT_EQ(j["business"]["cost_per_error_from"]["harmful_error_rate"], 0.1) << j["business"];
  EXPECT_EQ(j["business"]["cost_per_error_from"]["cost_per_incident_usd"], 15) << j["business"];
  std::string md = memo_markdown(d);
  EXPECT_NE(md.find("of errors harmful x $15"), std::string::npos);
}

// Scenario mode has no data and no intervals: an overlap is said of the assumed figures, not of
// "the data" or "the accuracy intervals".
TEST(Recomputation, ScenarioModeDoesNotSpeakOfDataItDoesNotHave) {
  std::string text = kThree;
  for (const char* from : {"accuracy = 0.70", "accuracy = 0.90"})
    text.replace(text.find(from), std::string(from).size(), "accuracy = 0.80");
  Decision d = decide(read_scenario(parse_config(text, "t.toml"), nullptr));
  EXPECT_TRUE(has_risk(d, "at the assumed accuracies (scenario mode: no data)"));
  EXPECT_FALSE(has_risk(d, "the data does not settle"));
}

}  // namespace
// "What would it take" when the trained approach is the baseline: its net benefit is 0 at any
// accuracy, so what it needs is the error rate at which the prompting approach stops gaining
// over it. With a prompting approach that takes months to ship, the old formula used the
// baseline's live months (the whole horizon) and gave the wrong rate.
TEST(Recomputation, WhatATrainedBaselineWouldNeedCountsThePromptsShipTime) {
  Scenario s = read_scenario(parse_config(R"(
[data]
path = "x.csv"
[business]
queries_per_day = 10000
cost_per_error_usd = 2.5
engineer_usd_per_week = 5000
baseline = "local"
[[approach]]
name = "local"
kind = "linear"
accuracy = 0.80
hosting.usd_per_month = 500
[[approach]]
name = "api"
kind = "openai"
accuracy = 0.90
usd_per_query = 0.004
engineering_weeks = 2
time_to_ship_weeks = 13
)",
                                          "t.toml"),
                             nullptr);
  std::vector<WhatItTakes> rows = what_it_takes(s);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].trained, "local");
  EXPECT_EQ(rows[0].prompting, "api");
  ASSERT_TRUE(rows[0].required_error_rate);
  // At that rate for the baseline, the prompting approach's net benefit is 0: a tie.
  Scenario tied = s;
  approach(tied, "local").error_rate.value = *rows[0].required_error_rate;
  Analysis a = analyse(tied);
  EXPECT_NEAR(result(a, "api").net.get(), 0.0, 0.01) << *rows[0].required_error_rate;
  EXPECT_NEAR(result(a, "local").net.get(), 0.0, 1e-9);
}

}  // namespace tunecase::econ
