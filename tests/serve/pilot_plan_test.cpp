// The plan serve runs: [pilot] and the memo's recommendation.pilot must agree where both speak.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../data/data_test_support.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/serve/pilot_plan.h"

namespace tunecase::serve {
namespace {

using ::testing::HasSubstr;
using tunecase::testing::TempDir;

const char* kApproaches = R"(
[data]
path = "tickets.csv"
[[approach]]
name = "local-linear"
kind = "linear"
[[approach]]
name = "local-logreg"
kind = "linear"
)";

// decide's decision.json, as much of it as serve reads.
std::filesystem::path write_memo(const TempDir& dir, const nlohmann::json& share = 0.05,
                                 const nlohmann::json& days = 14, double min_labelled = 400) {
  nlohmann::json rule = {{"challenger", "local-logreg"},
                         {"baseline", "local-linear"},
                         {"min_labelled_per_arm", min_labelled},
                         {"queries_per_month", 300000},
                         {"cost_per_error_usd", 2.0},
                         {"live_months", 12},
                         {"extra_cost_usd", 1000},
                         {"offline_error_rate", 0.12},
                         {"mode", "split"}};
  nlohmann::json memo = {
      {"recommendation", {{"pilot", {{"rule", rule}, {"traffic_share", share}, {"days", days}}}}}};
  return dir.write("decision.json", memo.dump());
}

PilotPlan plan_with(const std::string& pilot_table, const std::filesystem::path& memo) {
  return make_pilot_plan(parse_config(std::string(kApproaches) + pilot_table, "w.toml"), memo);
}

TEST(PilotPlan, TakesTheMemosShareAndDaysWhenPilotLeavesThemOut) {
  TempDir dir;
  PilotPlan plan = plan_with("[pilot]\nmode = \"split\"\n", write_memo(dir));
  EXPECT_EQ(plan.champion, "local-linear");
  EXPECT_EQ(plan.challenger, "local-logreg");
  EXPECT_DOUBLE_EQ(plan.share, 0.05);
  EXPECT_EQ(plan.days, 14);
  // The same values written out agree.
  PilotPlan same = plan_with("[pilot]\nshare = 0.05\ndays = 14\n", write_memo(dir));
  EXPECT_DOUBLE_EQ(same.share, 0.05);
}

TEST(PilotPlan, AShareOrLengthThatDisagreesWithTheMemoIsAnError) {
  TempDir dir;
  auto memo = write_memo(dir);
  try {
    plan_with("[pilot]\nshare = 0.3\n", memo);
    FAIL() << "a share the memo did not plan was taken silently";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("[pilot] sets share = 0.3 but --plan"));
    EXPECT_THAT(e.what(), HasSubstr("planned a traffic share of 0.05"));
  }
  try {
    plan_with("[pilot]\ndays = 30\n", memo);
    FAIL() << "a length the memo did not plan was taken silently";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("[pilot] sets days = 30 but --plan"));
  }
  // Without --plan, [pilot] alone decides.
  EXPECT_DOUBLE_EQ(plan_with("[pilot]\nchallenger = \"local-logreg\"\nshare = 0.3\n", {}).share,
                   0.3);
}

// [pilot] mode = "shadow" over a memo that planned a split is taken (a team may prefer to keep
// the challenger off the response path), and said at start and in the rule's source, which the
// report's reasons quote: it had been taken with no word but the listening line's mode.
TEST(PilotPlan, AShadowModeOverTheMemosSplitIsSaid) {
  TempDir dir;
  PilotPlan plan = plan_with("[pilot]\nmode = \"shadow\"\n", write_memo(dir));
  EXPECT_EQ(plan.mode, ServeMode::shadow);
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_THAT(plan.notes[0], HasSubstr("replaces the split the memo planned (5% of requests"));
  EXPECT_THAT(plan.rule_source, HasSubstr("replaces the split"));
  EXPECT_TRUE(plan_with("[pilot]\nmode = \"split\"\n", write_memo(dir)).notes.empty());
}

// A memo edited by hand (or damaged) is refused at start, not served: a share outside (0, 1)
// once answered every classify with a 500.
TEST(PilotPlan, AMemoShareLengthOrSampleOutOfRangeIsRefusedAtStart) {
  TempDir dir;
  auto refused = [&](const std::filesystem::path& memo, const std::string& expected) {
    try {
      plan_with("", memo);
      ADD_FAILURE() << "taken: " << expected;
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), HasSubstr(expected));
    }
  };
  refused(write_memo(dir, 2.0), "recommendation.pilot.traffic_share must be above 0 and below 1");
  refused(write_memo(dir, -0.1), "traffic_share must be above 0 and below 1, not -0.1");
  refused(write_memo(dir, 0.0), "traffic_share must be above 0");
  refused(write_memo(dir, "5%"), "traffic_share must be a number, not \"5%\"");
  refused(write_memo(dir, 0.05, "fourteen"), "recommendation.pilot.days must be a whole number");
  refused(write_memo(dir, 0.05, 0), "days must be a whole number of days from 1 to 3650, not 0");
  refused(write_memo(dir, 0.05, 14, -5), "min_labelled_per_arm must be 0 or more, not -5");
  EXPECT_EQ(plan_with("", write_memo(dir, 0.2, 30)).days, 30);
}

}  // namespace
}  // namespace tunecase::serve
