// The sensitivity analysis: which inputs it moves, how it names them, and which it shows.
#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/economics/memo_tables.h"
#include "tunecase/economics/recommendation.h"
#include "tunecase/economics/sensitivity.h"

namespace tunecase::econ {
namespace {

const char* kTickets = R"(
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
name = "retrieval"
kind = "openai"
accuracy = 0.84
usd_per_query = 0.009
engineering_weeks = 2
time_to_ship_weeks = 1
[[approach]]
name = "linear"
kind = "linear"
accuracy = 0.86
hosting = { usd_per_hour = 0.10, instances = 2 }
training_usd = 50
engineering_weeks = 4
retrain_every_months = 1
retrain_usd = 200
maintenance_weeks_per_month = 0.5
time_to_ship_weeks = 4
)";

Decision tickets() {
  return decide(read_scenario(parse_config(kTickets, "t.toml"), nullptr));
}

const SensitivityRow* row(const Sensitivity& s, const std::string& input) {
  for (const auto& r : s.rows) {
    if (r.input == input) return &r;
  }
  return nullptr;
}

TEST(Sensitivity, ErrorRateIsNamedAsSuchWithTheAccuracyBeside) {
  Decision d = tickets();
  const SensitivityRow* r = row(d.sensitivity, "api: error rate (1 - accuracy)");
  ASSERT_NE(r, nullptr);
  EXPECT_NEAR(r->base_value, 0.3, 1e-12);
  EXPECT_NEAR(r->low_value, 0.15, 1e-12);
  EXPECT_EQ(input_value_text(d.scenario, r->kind, r->base_value), "30.0% (accuracy 70.0%)");
}

TEST(Sensitivity, RetrainingCadenceIsMoved) {
  const SensitivityRow* r = row(tickets().sensitivity, "linear: retrain every (months)");
  ASSERT_NE(r, nullptr);
  EXPECT_NEAR(r->low_value, 0.5, 1e-12);  // twice as often: dearer
}

TEST(Sensitivity, BusinessWideMonitoringIsOneInput) {
  Decision d = tickets();
  int monitoring_rows = 0;
  for (const auto& r : d.sensitivity.rows)
    monitoring_rows += r.input.find("monitoring") != std::string::npos ? 1 : 0;
  EXPECT_EQ(monitoring_rows, 1);
  EXPECT_NE(row(d.sensitivity, "monitoring $ per month (business-wide)"), nullptr);
}

TEST(Sensitivity, TableShowsOnlyInputsThatMatterAndFoldsTheRest) {
  Decision d = tickets();
  Table t = sensitivity_table(d);
  size_t matter = 0;
  for (const auto& r : d.sensitivity.rows) matter += r.matters ? 1 : 0;
  ASSERT_GT(matter, 0u);
  ASSERT_LT(matter, d.sensitivity.rows.size());
  EXPECT_EQ(t.rows.size(), matter);
  const SensitivityRow* training = row(d.sensitivity, "linear: training $");
  ASSERT_NE(training, nullptr);
  EXPECT_FALSE(training->matters);  // $50 either way is nothing against the net
  std::string folded = sensitivity_folded(d);
  EXPECT_NE(folded.find("linear: training $"), std::string::npos);
  EXPECT_NE(folded.find("never change the pick"), std::string::npos);
  for (const auto& r : d.sensitivity.rows) {
    if (r.flips) {
      EXPECT_TRUE(r.matters) << r.input;
    }
  }
}

TEST(Sensitivity, WatchesTheBestAlternativeWhenTheBaselineIsKept) {
  // A baseline's gain over itself is always 0: the rows follow the best alternative instead.
  std::string text = kTickets;
  text.replace(text.find("cost_per_error_usd = 2.5"), 24, "cost_per_error_usd = 0.001");
  Decision d = decide(read_scenario(parse_config(text, "t.toml"), nullptr));
  ASSERT_EQ(d.pick, "api");
  EXPECT_NE(d.sensitivity.watched, "api");
  EXPECT_LT(d.sensitivity.base_net, 0);
}

}  // namespace
}  // namespace tunecase::econ
