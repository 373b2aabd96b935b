#include <gtest/gtest.h>

#include "tunecase/core/error.h"
#include "tunecase/evaluation/cost.h"

namespace tunecase {
namespace {

ApproachConfig hosted(double usd_per_hour, int instances) {
  ApproachConfig a;
  a.name = "svm";
  a.kind = "linear";
  a.params = {{"hosting", {{"usd_per_hour", usd_per_hour}, {"instances", instances}}}};
  return a;
}

TEST(SelfHostedCost, DividesHourlyPriceByMeasuredThroughput) {
  // $0.36/hour at 100 predictions/s: 360,000 predictions an hour, $0.001 per 1k.
  CostFigures c = self_hosted_cost(hosted(0.36, 1), 100.0, 10000);
  ASSERT_TRUE(c.usd_per_1k);
  EXPECT_NEAR(*c.usd_per_1k, 0.001, 1e-12);
  ASSERT_TRUE(c.usd_per_month);
  EXPECT_NEAR(*c.usd_per_month, 0.36 * 24 * 30, 1e-9);  // always on, 30-day month
  EXPECT_TRUE(c.notes.empty());
}

TEST(SelfHostedCost, AddsInstancesWhenOneCannotKeepUp) {
  // 1,000,000 queries a day is 11.6/s; at 5/s three instances are needed.
  CostFigures c = self_hosted_cost(hosted(1.0, 1), 5.0, 1'000'000);
  ASSERT_TRUE(c.usd_per_month);
  EXPECT_NEAR(*c.usd_per_month, 3 * 24 * 30.0, 1e-9);
  EXPECT_FALSE(c.notes.empty());
}

TEST(SelfHostedCost, SaysWhenHostingIsAssumed) {
  ApproachConfig a;
  a.name = "svm";
  a.kind = "linear";
  CostFigures c = self_hosted_cost(a, 100.0, 0);
  EXPECT_FALSE(c.usd_per_month);  // no volume, no monthly figure
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("assumed"), std::string::npos);
}

TEST(SelfHostedCost, RejectsNegativePrices) {
  EXPECT_THROW(self_hosted_cost(hosted(-1, 1), 10, 0), UserError);
  EXPECT_THROW(self_hosted_cost(hosted(1, 0), 10, 0), UserError);
}

TEST(ApiCost, AveragesMeasuredCallCosts) {
  std::vector<Prediction> p(4);
  p[0].cost_usd = 0.001;
  p[1].cost_usd = 0.003;
  p[2].cost_usd = 0.002;
  p[3].error = "timed out";  // never billed
  CostFigures c = api_cost(p, 1000);
  ASSERT_TRUE(c.usd_per_1k);
  EXPECT_NEAR(*c.usd_per_1k, 2.0, 1e-12);
  EXPECT_NEAR(*c.usd_per_month, 0.002 * 1000 * 30, 1e-12);
}

TEST(ApiCost, UnknownPriceStaysUnknownNeverZero) {
  std::vector<Prediction> p(2);
  p[0].cost_usd = 0.001;  // p[1] has no price
  CostFigures c = api_cost(p, 1000);
  EXPECT_FALSE(c.usd_per_1k);
  EXPECT_FALSE(c.usd_per_month);
  EXPECT_NE(c.basis.find("unknown"), std::string::npos);
  nlohmann::json j = cost_json(c);
  EXPECT_TRUE(j["usd_per_1k"].is_null());
}

}  // namespace
}  // namespace tunecase
