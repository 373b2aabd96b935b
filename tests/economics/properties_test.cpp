// Properties the business case must keep whatever the numbers.
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/economics/analysis.h"
#include "tunecase/economics/break_even.h"
#include "tunecase/economics/checklist.h"
#include "tunecase/economics/recommendation.h"

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

bool is_cost(const std::string& input) {
  for (const char* not_cost : {"rate", "queries per month", "cost per error", "horizon"}) {
    if (input.find(not_cost) != std::string::npos) return false;
  }
  return true;
}

// What an approach leaves after its own whole cost (value - cost over the horizon) never rises
// when a cost rises. (The net benefit, a gain over keeping the baseline, rises for the others
// when the baseline gets dearer.)
TEST(Property, ValueLessOwnCostFallsAsAnyCostRises) {
  Scenario base = read_scenario(parse_config(kTickets, "t.toml"), nullptr);
  Analysis before = analyse(base);
  size_t n_inputs = base.assumed_inputs().size();
  int checked = 0;
  for (size_t i = 0; i < n_inputs; ++i) {
    Scenario s = base;
    auto [name, figure] = s.assumed_inputs()[i];
    if (!is_cost(name)) continue;
    figure->value = figure->get() * 1.2;
    Analysis after = analyse(s);
    bool some_fell = false;
    auto left = [](const ApproachResult& r) { return r.value.get() - r.horizon_cost.get(); };
    for (size_t a = 0; a < after.results.size(); ++a) {
      EXPECT_LE(left(after.results[a]), left(before.results[a]) + 1e-9) << name;
      some_fell = some_fell || left(after.results[a]) < left(before.results[a]) - 1e-9;
    }
    EXPECT_TRUE(some_fell) << name;
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST(Property, BreakEvenIsSymmetricInItsPair) {
  std::vector<CostLine> lines = {{assumed(0), assumed(0.03)},
                                 {assumed(2000), assumed(0.001)},
                                 {assumed(500), assumed(0.01)},
                                 {assumed(500), assumed(0.03)},
                                 {assumed(0), assumed(0.03)}};
  for (size_t i = 0; i < lines.size(); ++i) {
    for (size_t j = 0; j < lines.size(); ++j) {
      BreakEven ab = break_even("a", lines[i], "b", lines[j]);
      BreakEven ba = break_even("b", lines[j], "a", lines[i]);
      EXPECT_EQ(ab.crossing, ba.crossing) << i << "," << j;
      EXPECT_DOUBLE_EQ(ab.queries_per_month, ba.queries_per_month) << i << "," << j;
      EXPECT_EQ(ab.cheaper_below, ba.cheaper_below) << i << "," << j;
      EXPECT_EQ(ab.cheaper_above, ba.cheaper_above) << i << "," << j;
    }
  }
}

TEST(Property, ParallelCostLinesNeverBreakEven) {
  BreakEven be = break_even("a", {assumed(500), assumed(0.03)}, "b", {assumed(0), assumed(0.03)});
  EXPECT_EQ(be.crossing, Crossing::never);
  EXPECT_EQ(be.cheaper_below, "b");
}

TEST(Property, UnknownPriceGivesUnknownBreakEvenNotNever) {
  BreakEven be = break_even("a", {assumed(0), unknown()}, "b", {assumed(0), assumed(0.03)});
  EXPECT_EQ(be.crossing, Crossing::unknown);
}

TEST(Property, DominatedApproachIsNeverRecommended) {
  for (double per_day : {10.0, 1000.0, 100000.0}) {
    for (double per_error : {0.01, 1.0, 50.0}) {
      for (double hosting : {10.0, 1000.0, 100000.0}) {
        std::string toml = fmt::format(R"(
[data]
path = "x.csv"
[business]
queries_per_day = {}
cost_per_error_usd = {}
engineer_usd_per_week = 5000
[[approach]]
name = "good"
kind = "openai"
accuracy = 0.80
usd_per_query = 0.01
[[approach]]
name = "dominated"
kind = "openai"
accuracy = 0.75
usd_per_query = 0.02
[[approach]]
name = "hosted"
kind = "linear"
accuracy = 0.9
hosting = {{ usd_per_month = {} }}
engineering_weeks = 3
)",
                                       per_day, per_error, hosting);
        Decision d = decide(read_scenario(parse_config(toml, "d.toml"), nullptr));
        EXPECT_NE(d.pick, "dominated") << per_day << " " << per_error << " " << hosting;
        EXPECT_FALSE(d.pick.empty());
      }
    }
  }
}

// Checklist answers: labelled examples, volume and three config answers. Scenario mode, so the
// value question ("measured, not assumed") is unknown and counts as no: at most 5 of 6.
Checklist checklist_with(int labelled, int per_day, bool infra, int stable_months, bool sensitive) {
  std::string toml = fmt::format(R"(
[data]
path = "x.csv"
[business]
queries_per_day = {}
cost_per_error_usd = 2
engineer_usd_per_week = 5000
labelled_examples = {}
infra_expertise = {}
task_stable_months = {}
data_sensitive = {}
[[approach]]
name = "api"
kind = "openai"
accuracy = 0.7
usd_per_query = 0.01
[[approach]]
name = "tuned"
kind = "openai"
trained = true
accuracy = 0.85
usd_per_query = 0.001
)",
                                 per_day, labelled, infra, stable_months, sensitive);
  return fill_checklist(read_scenario(parse_config(toml, "c.toml"), nullptr));
}

TEST(Checklist, FilledAnswersGiveTheFrameworksScoresAndVerdicts) {
  Checklist five = checklist_with(2000, 1000, true, 12, true);
  EXPECT_EQ(five.score, 5);
  EXPECT_EQ(five.verdict, "fine-tune");
  Checklist four = checklist_with(2000, 1000, true, 12, false);
  EXPECT_EQ(four.score, 4);
  EXPECT_EQ(four.verdict, "pilot");
  Checklist three = checklist_with(2000, 1000, false, 12, false);
  EXPECT_EQ(three.score, 3);
  EXPECT_EQ(three.verdict, "pilot");
  Checklist two = checklist_with(2000, 1000, false, 3, false);
  EXPECT_EQ(two.score, 2);
  EXPECT_EQ(two.verdict, "prompting");
}

TEST(Checklist, EveryLocalKindIsTrainedNotPrompting) {
  Scenario s = read_scenario(parse_config(R"([data]
path = "x.csv"
[business]
queries_per_day = 100
cost_per_error_usd = 2
engineer_usd_per_week = 5000
[[approach]]
name = "bm25"
kind = "retrieval"
accuracy = 0.8
[[approach]]
name = "svm"
kind = "linear"
accuracy = 0.85
)",
                                          "l.toml"),
                             nullptr);
  for (const auto& a : s.approaches) EXPECT_TRUE(a.trained) << a.name;
  Checklist c = fill_checklist(s);
  ASSERT_EQ(c.verdict, "prompting");  // 100 a day, nothing else set: 0 of 6
  EXPECT_FALSE(c.prompting_compared);
  EXPECT_NE(checklist_verdict_text(c).find("no approach compared here prompts an API"),
            std::string::npos)
      << checklist_verdict_text(c);
  EXPECT_EQ(checklist_verdict_text(checklist_with(2000, 1000, false, 3, false)),
            "stick with prompting");
}

TEST(Checklist, VolumeQuestionUsesQueriesPerMonth) {
  // 300 a day is 9,000 a month: below the 10,000 threshold.
  EXPECT_EQ(checklist_with(2000, 300, true, 12, true).items[2].answer, false);
  EXPECT_EQ(checklist_with(2000, 400, true, 12, true).items[2].answer, true);
}

TEST(Checklist, SilentConfigCountsAsNoAndSaysUnknown) {
  Scenario s = read_scenario(parse_config(R"([data]
path = "x.csv"
[business]
queries_per_day = 10
cost_per_error_usd = 2
engineer_usd_per_week = 5000
[[approach]]
name = "api"
kind = "openai"
accuracy = 0.7
usd_per_query = 0.01
)",
                                          "s.toml"),
                             nullptr);
  Checklist c = fill_checklist(s);
  EXPECT_FALSE(c.items[3].answer.has_value());
  EXPECT_EQ(c.items[3].source, "unknown");
  EXPECT_EQ(c.score, 0);
}

}  // namespace
}  // namespace tunecase::econ
