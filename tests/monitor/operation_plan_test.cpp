#include <gtest/gtest.h>

#include "tunecase/core/error.h"
#include "tunecase/core/number_format.h"
#include "tunecase/monitor/alert_rules.h"
#include "tunecase/monitor/operation_plan.h"

namespace tunecase::monitor {
namespace {

ProjectConfig config(const std::string& extra) {
  return parse_config(R"([data]
path = "tickets.csv"

[[approach]]
name = "local-linear"
kind = "linear"
)" + extra,
                      "plan-test.toml");
}

TEST(OperationPlan, AMissingOwnerIsShownLoudly) {
  auto plan = operation_plan(config(""), nlohmann::json());
  EXPECT_TRUE(plan["unassigned"].get<bool>());
  std::string md = operation_plan_markdown(plan);
  EXPECT_NE(md.find("UNASSIGNED OWNER"), std::string::npos);
  EXPECT_NE(md.find("No retraining is planned"), std::string::npos);
  EXPECT_NE(operation_plan_html(plan).find("UNASSIGNED"), std::string::npos);
  // Dollars are grouped as in the memo beside it ("$80000" read as a typo).
  EXPECT_NE(md.find("an unplanned emergency retrain: $80,000 (assumed)"), std::string::npos) << md;
  EXPECT_EQ(whole_dollars(-1234.6), "-$1,235");
  EXPECT_EQ(whole_dollars(999), "$999");
  EXPECT_EQ(whole_dollars(0.4), "$0");
}

TEST(OperationPlan, StatesCadenceOwnersThresholdsAndBudget) {
  const char* toml = R"toml(
[business]
monitoring_usd_per_month = 500

[monitor]
owner = "Dana (support ops)"
accuracy_floor = 0.8

[retrain]
policy = "both"
every_weeks = 4
within_days = 7
usd_per_retrain = 1200
owner = "Sam (ML)"
)toml";
  auto plan = operation_plan(config(toml), nlohmann::json());
  EXPECT_FALSE(plan["unassigned"].get<bool>());
  std::string md = operation_plan_markdown(plan);
  EXPECT_NE(md.find("Dana (support ops)"), std::string::npos);
  EXPECT_NE(md.find("every 4 weeks"), std::string::npos);
  EXPECT_NE(md.find("within 7 days"), std::string::npos);
  EXPECT_NE(md.find("80%"), std::string::npos);
  // "both": every four weeks, and once per accuracy alert, at least the rule's false alarms on
  // a healthy model (budgeted at $0, the triggered half had been left out of the plan).
  const double false_alarms = plan["rule_simulation"]["false_alarms_per_year"].get<double>();
  ASSERT_GT(false_alarms, 0);
  const double retrains = 52.0 / 12 / 4 + false_alarms / 12;
  EXPECT_NEAR(plan["budget_per_month"]["triggered_retrains"].get<double>(), false_alarms / 12,
              1e-9);
  EXPECT_NEAR(plan["budget_per_month"]["retraining_usd"].get<double>(), 1200 * retrains, 1e-6);
  EXPECT_NEAR(plan["budget_per_month"]["total_usd"].get<double>(), 500 + 1200 * retrains, 1e-6);
  EXPECT_NE(md.find("triggered by the accuracy alert's false alarms at a true accuracy of"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("Rollback"), std::string::npos);
  EXPECT_NE(md.find("tunecase models rollback"), std::string::npos);
  EXPECT_NE(md.find("tunecase retrain --if-due"), std::string::npos);
}

// The memo prices retraining from the approach's own keys, the plan from [retrain]: where they
// differ, the plan says both (the two documents had contradicted each other without a word).
TEST(OperationPlan, SaysWhenTheMemosRetrainingBudgetDiffers) {
  ProjectConfig c = parse_config(R"([data]
path = "tickets.csv"

[[approach]]
name = "local-linear"
kind = "linear"
retrain_usd = 50
retrain_every_months = 1
)",
                                 "plan-test.toml");
  std::string md = operation_plan_markdown(operation_plan(c, nlohmann::json()));
  EXPECT_NE(md.find("The decision memo prices local-linear's retraining at $50 a month"),
            std::string::npos)
      << md;
  std::string same = operation_plan_markdown(operation_plan(config(""), nlohmann::json()));
  EXPECT_EQ(same.find("The decision memo prices"), std::string::npos);
}

// A zero-shot LLM champion has nothing in the registry: the plan's rollback command names the
// local approach that has versions (it named the LLM, and the command failed).
TEST(OperationPlan, TheRollbackStepNamesAnApproachTheRegistryHolds) {
  auto plan = operation_plan(config(R"toml(
[[approach]]
name = "api-zero-shot"
kind = "openai"
model = "gpt-4o-mini"

[pilot]
champion = "api-zero-shot"
challenger = "local-linear"
)toml"),
                             nlohmann::json());
  std::string md = operation_plan_markdown(plan);
  EXPECT_NE(md.find("--approach local-linear"), std::string::npos) << md;
  EXPECT_EQ(md.find("--approach api-zero-shot"), std::string::npos) << md;
  EXPECT_NE(md.find("The champion (api-zero-shot) is an LLM approach without examples"),
            std::string::npos)
      << md;
}

TEST(OperationPlan, RejectsANegativePeriod) {
  EXPECT_THROW(config("[retrain]\npolicy = \"scheduled\"\nevery_weeks = -2\n"), UserError);
  EXPECT_THROW(config("[retrain]\npolicy = \"weekly\"\n"), UserError);
  EXPECT_THROW(config("[monitor]\naccuracy_flor = 0.8\n"), UserError);
}

TEST(OperationPlan, UsesMeasuredLabelVolumeFromMonitorJson) {
  nlohmann::json doc = {
      {"window", {{"first_date", "2026-03-01"}, {"last_date", "2026-03-02"}, {"days", 2}}},
      {"approaches",
       {{{"name", "local-linear"},
         {"requests", 400},
         {"labelled", 300},
         {"accuracy", 0.86},
         {"days", {{{"labelled", 100}}, {{"labelled", 200}}}}}}}};
  auto plan = operation_plan(config(""), doc);
  EXPECT_EQ(plan["rule_simulation"]["labelled_per_day"], 150);
  EXPECT_NE(operation_plan_markdown(plan).find("86.0%"), std::string::npos);
  // A replaced model's days are left out of the volume (the rule never judges them), the mean is
  // rounded (49.6 had been cut to 49), and the version now served is shown alone.
  doc["approaches"][0]["days"] = {
      {{"labelled", 300}, {"replaced_model", true}}, {{"labelled", 25}}, {{"labelled", 26}}};
  doc["approaches"][0]["served_version"] = {
      {"model_version", "bbbbbbbbbbbbbbbb"}, {"requests", 60}, {"labelled", 51}, {"accuracy", 0.9}};
  plan = operation_plan(config(""), doc);
  EXPECT_EQ(plan["rule_simulation"]["labelled_per_day"], 26);
  const std::string md = operation_plan_markdown(plan);
  EXPECT_NE(md.find("| local-linear, every version | 400 | 300 | 86.0% |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| local-linear, version bbbbbbbbbbbb now served | 60 | 51 | 90.0% |"),
            std::string::npos)
      << md;
}

// Without a monitor.json the plan simulates days of min_labelled labels, as `monitor
// --simulate-rule` does: both print one simulation (the plan had run 200 runs and the command
// 400, so one config read 1.16 and 1.19 false alarms a year).
TEST(OperationPlan, RuleFiguresAreTheSimulateRuleFigures) {
  ProjectConfig c = config("[monitor]\nmin_labelled = 60\naccuracy_floor = 0.8\n");
  auto plan = operation_plan(c, nlohmann::json());
  auto r = simulate_configured_rule(c.monitor, 60);
  EXPECT_EQ(r.runs, 400);
  EXPECT_EQ(plan["rule_simulation"]["runs"], r.runs);
  EXPECT_EQ(plan["rule_simulation"]["false_alarms_per_year"], r.false_alarms_per_year);
  EXPECT_EQ(plan["rule_simulation"]["median_detection_days"], r.median_detection_days);
}

// Fewer labels a day than min_labelled: no day is judged, the alert never fires, and the plan
// says so. It read "a drop to 71% is caught after 0 days (median; 95% within 0)", the median of
// no caught run. A simulated approach keeps its label among the figures measured so far.
TEST(OperationPlan, SaysAnAlertThatCanNeverFireIsNeverCaught) {
  nlohmann::json doc = {
      {"window", {{"first_date", "2026-03-01"}, {"last_date", "2026-03-02"}, {"days", 2}}},
      {"approaches",
       {{{"name", "sim-zero-shot"},
         {"basis", "simulated"},
         {"requests", 40},
         {"labelled", 24},
         {"accuracy", 0.5},
         {"days", {{{"labelled", 12}}, {{"labelled", 12}}}}}}}};
  auto plan = operation_plan(config("[monitor]\nmin_labelled = 50\n"), doc);
  EXPECT_EQ(plan["rule_simulation"]["missed_share"], 1.0);
  std::string md = operation_plan_markdown(plan);
  EXPECT_EQ(md.find("caught after"), std::string::npos) << md;
  EXPECT_NE(md.find("is never caught: with 12 labels a day, fewer than min_labelled (50)"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| sim-zero-shot (simulated) |"), std::string::npos) << md;
}

}  // namespace
}  // namespace tunecase::monitor
