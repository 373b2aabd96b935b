// The five worked examples of the decision framework, reproduced to the dollar.
#include <cmath>

#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/economics/break_even.h"
#include "tunecase/economics/checklist.h"
#include "tunecase/economics/cost_model.h"
#include "tunecase/economics/recommendation.h"
#include "tunecase/economics/value_model.h"

namespace tunecase::econ {
namespace {

const ApproachResult& result(const Analysis& a, const std::string& name) {
  for (const auto& r : a.results) {
    if (r.name == name) return r;
  }
  throw std::runtime_error("no approach " + name);
}

// 100,000 transactions a year, 2% harmful, $500 an incident; engineers at $10,000 a week so
// that 2 weeks of prompt work is $20,000 and fine-tuning's engineering is $100,000.
const char* kFintech = R"(
[data]
path = "expenses.csv"

[business]
queries_per_year = 100000
cost_per_incident_usd = 500
engineer_usd_per_week = 10000
horizon_months = 12
baseline = "generic-prompt"

[[approach]]
name = "generic-prompt"
kind = "openai"
harmful_error_rate = 0.02
usd_per_query = 0

[[approach]]
name = "optimised-prompt"
kind = "openai"
harmful_error_rate = 0.006
usd_per_query = 0
engineering_weeks = 2

[[approach]]
name = "fine-tuned"
kind = "openai"
trained = true
harmful_error_rate = 0.005
usd_per_query = 0
engineering_weeks = 10
hosting = { usd_per_month = 16666.666666666666 }
)";

TEST(WorkedExample, FintechAtRiskSavingsNetAndPick) {
  ProjectConfig config = parse_config(kFintech, "fintech.toml");
  Decision d = decide(read_scenario(config, nullptr));
  EXPECT_NEAR(d.analysis.at_risk.get(), 1'000'000, 1e-6);
  const ApproachResult& ft = result(d.analysis, "fine-tuned");
  EXPECT_NEAR(ft.value.get(), 750'000, 1e-6);
  EXPECT_NEAR(ft.horizon_cost.get(), 300'000, 1e-6);
  EXPECT_NEAR(ft.net.get(), 450'000, 1e-6);
  const ApproachResult& po = result(d.analysis, "optimised-prompt");
  EXPECT_NEAR(po.value.get(), 700'000, 1e-6);
  EXPECT_NEAR(po.horizon_cost.get(), 20'000, 1e-6);
  EXPECT_NEAR(po.net.get(), 680'000, 1e-6);
  EXPECT_EQ(d.pick, "optimised-prompt");
}

TEST(WorkedExample, SmallGainAtHighCostMeansDoNotFineTune) {
  // A gain worth $50,000 a year against $300,000 a year of cost.
  ProjectConfig config = parse_config(R"(
[data]
path = "x.csv"
[business]
queries_per_month = 10000
cost_per_error_usd = 5
engineer_usd_per_week = 5000
[[approach]]
name = "api"
kind = "openai"
accuracy = 0.70
usd_per_query = 0
[[approach]]
name = "fine-tuned"
kind = "openai"
trained = true
accuracy = 0.7833333333333333
usd_per_query = 0
hosting = { usd_per_month = 25000 }
)",
                                      "small.toml");
  Decision d = decide(read_scenario(config, nullptr));
  const ApproachResult& ft = result(d.analysis, "fine-tuned");
  EXPECT_NEAR(ft.value.get(), 50'000, 1e-6);
  EXPECT_NEAR(ft.horizon_cost.get(), 300'000, 1e-6);
  EXPECT_NEAR(ft.net.get(), -250'000, 1e-6);
  EXPECT_EQ(d.pick, "api");
  EXPECT_FALSE(d.pilot.needed);
}

TEST(WorkedExample, TenThousandQueriesADayAtThreeToFifteenCents) {
  Figure volume = assumed(10'000 * 30.0);
  EXPECT_NEAR(monthly_inference_usd(assumed(0.03), volume).get(), 9'000, 1e-9);
  EXPECT_NEAR(monthly_inference_usd(assumed(0.15), volume).get(), 45'000, 1e-9);
}

TEST(WorkedExample, ApiVersusSelfHostedBreaksEvenAt68966QueriesAMonth) {
  CostLine api{assumed(0), assumed(0.03)};
  CostLine hosted{assumed(2'000), assumed(0.001)};
  BreakEven be = break_even("api", api, "self-hosted", hosted);
  ASSERT_EQ(be.crossing, Crossing::at_volume);
  EXPECT_EQ(std::ceil(be.queries_per_month), 68'966);
  EXPECT_EQ(be.cheaper_below, "api");
  EXPECT_EQ(be.cheaper_above, "self-hosted");
}

TEST(WorkedExample, ChecklistScoresMapToFineTunePilotPrompting) {
  EXPECT_EQ(checklist_verdict(6), "fine-tune");
  EXPECT_EQ(checklist_verdict(5), "fine-tune");
  EXPECT_EQ(checklist_verdict(4), "pilot");
  EXPECT_EQ(checklist_verdict(3), "pilot");
  EXPECT_EQ(checklist_verdict(2), "prompting");
}

}  // namespace
}  // namespace tunecase::econ
