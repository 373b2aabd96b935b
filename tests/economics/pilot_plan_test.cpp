// The pilot the memo plans, at volumes and horizons where a pilot cannot do what a plan of 14 to
// 90 days assumes: what the memo then says, and what decision.json keeps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

#include "tunecase/config/config.h"
#include "tunecase/economics/decide.h"
#include "tunecase/economics/decision_json.h"
#include "tunecase/economics/memo.h"
#include "tunecase/economics/recommendation.h"

namespace tunecase::econ {
namespace {

using testing::HasSubstr;
using testing::Not;

// Two API approaches: the dearer one is 14 points more accurate, which pays at any volume here.
std::string config(const std::string& business) {
  return "[data]\npath = \"t.csv\"\n[business]\n" + business +
         "\ncost_per_error_usd = 5000\nengineer_usd_per_week = 5000\nbaseline = \"zero\"\n"
         "[[approach]]\nname = \"zero\"\nkind = \"openai\"\naccuracy = 0.70\nusd_per_query = "
         "0.004\n[[approach]]\nname = \"retrieval\"\nkind = \"openai\"\naccuracy = 0.84\n"
         "usd_per_query = 0.009\n";
}

// `more`: further [[approach]] tables after the two.
Decision decide_on(const std::string& business, const std::string& more = "") {
  return decide(read_scenario(parse_config(config(business) + more, "p.toml"), nullptr));
}

// An openai approach of the config's shape, assumed accuracy and price.
std::string api_approach(const std::string& name, double accuracy, double usd_per_query) {
  return fmt::format(
      "[[approach]]\nname = \"{}\"\nkind = \"openai\"\naccuracy = {}\nusd_per_query = {}\n", name,
      accuracy, usd_per_query);
}

// One query a day on 5% of traffic brings about 4.5 labelled queries per arm in 90 days: the
// memo had promised "about 30 ... all they collect", the floor of a call, not what comes in.
TEST(PilotPlan, APilotThatCannotReachACallSaysSo) {
  Decision d = decide_on("queries_per_day = 1");
  ASSERT_EQ(d.pick, "retrieval");
  EXPECT_EQ(d.pilot.days, 90);
  EXPECT_FALSE(d.pilot.callable);
  EXPECT_NEAR(d.pilot.collected_per_arm, 0.05 * 1 * 90, 1e-9);
  ASSERT_TRUE(d.pilot.days_for_a_call.has_value());
  EXPECT_EQ(*d.pilot.days_for_a_call, 600);
  EXPECT_THAT(d.next_step, HasSubstr("would collect about 5 labelled queries per arm in 90 days"));
  EXPECT_THAT(d.next_step, HasSubstr("about 600 days"));
  EXPECT_THAT(d.next_step, Not(HasSubstr("Pilot retrieval on")));
  std::string memo = memo_markdown(d);
  EXPECT_THAT(memo, HasSubstr("cannot be called in the 90 days: about 5 labelled queries"));
  EXPECT_THAT(memo, Not(HasSubstr("with about 30 labelled queries per arm")));
  nlohmann::json pilot = decision_json(d)["recommendation"]["pilot"];
  EXPECT_EQ(pilot["callable_in_days"], false);
  EXPECT_EQ(pilot["days_for_a_call"], 600);
}

// At ten a day the 90 days bring 45 per arm: a call can be made, on what they collect.
TEST(PilotPlan, EnoughForACallButNotForTheDifferenceNamesWhatComesIn) {
  Decision d = decide_on("queries_per_day = 10");
  EXPECT_TRUE(d.pilot.callable);
  EXPECT_FALSE(d.pilot.difference_detectable);
  EXPECT_THAT(memo_markdown(d), HasSubstr("with about 45 labelled queries per arm"));
  EXPECT_THAT(d.next_step, HasSubstr("Pilot retrieval on 5.0% of live traffic"));
  // The memo plans a split: its rule holds the arms to its share (null had read as no check).
  EXPECT_EQ(d.pilot.rule.mode, PilotMode::split);
  ASSERT_TRUE(d.pilot.rule.challenger_share.has_value());
  EXPECT_DOUBLE_EQ(*d.pilot.rule.challenger_share, d.pilot.traffic_share);
}

// No volume, no labels: no plan of days.
TEST(PilotPlan, NoVolumeNoPilot) {
  // A self-hosted baseline billed by the month: at no volume the API, billed per query, is the
  // cheaper one, and is picked.
  Decision d = decide(read_scenario(
      parse_config("[data]\npath = \"t.csv\"\n[business]\nqueries_per_day = 0\n"
                   "cost_per_error_usd = 2.5\nengineer_usd_per_week = 5000\nbaseline = "
                   "\"hosted\"\n[[approach]]\nname = \"hosted\"\nkind = \"linear\"\n"
                   "accuracy = 0.86\nhosting = { usd_per_month = 1000 }\n[[approach]]\nname = "
                   "\"api\"\nkind = \"openai\"\naccuracy = 0.84\nusd_per_query = 0.004\n",
                   "p.toml"),
      nullptr));
  ASSERT_EQ(d.pick, "api");
  EXPECT_THAT(d.next_step, HasSubstr("No pilot can judge"));
  EXPECT_THAT(memo_markdown(d), HasSubstr("no call can be made"));
}

// A horizon of nine days and a 14-day pilot: the plan says the pilot outlasts the months the net
// benefit is counted over.
TEST(PilotPlan, APilotLongerThanTheHorizonIsNamed) {
  Decision d = decide_on("queries_per_day = 10000\nhorizon_months = 0.3");
  ASSERT_EQ(d.pick, "retrieval");
  EXPECT_GT(d.pilot.days, d.pilot.horizon_days);
  EXPECT_THAT(d.next_step, HasSubstr("outlast the horizon"));
  EXPECT_EQ(decision_json(d)["recommendation"]["pilot"]["outlasts_horizon"], true);
  EXPECT_THAT(decide_on("queries_per_day = 10000").next_step, Not(HasSubstr("outlast")));
}

// Net benefits equal to the cent: the reasons say it was a tie and what settled it.
TEST(PilotPlan, ATieIsCalledATie) {
  Decision d = decide_on("queries_per_day = 10000", api_approach("twin", 0.84, 0.009));
  ASSERT_EQ(d.pick, "retrieval");
  bool named = false;
  for (const auto& reason : d.reasons)
    named = named || reason.find("retrieval ties with twin on net benefit") != std::string::npos;
  EXPECT_TRUE(named) << testing::PrintToString(d.reasons);
}

// -0.0 (nothing times a negative figure) is written as 0 in decision.json.
TEST(PilotPlan, DecisionJsonHasNoNegativeZero) {
  Decision d = decide_on("queries_per_day = 0", api_approach("worse", 0.6, 0.001));
  std::string text = decision_json(d).dump();
  EXPECT_EQ(text.find("-0.0"), std::string::npos) << text;
}

}  // namespace
}  // namespace tunecase::econ
