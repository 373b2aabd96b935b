#include <gtest/gtest.h>

#include "tunecase/config/approach_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/evaluation/cost.h"

namespace tunecase {
namespace {

ApproachConfig hosted(nlohmann::json hosting) {
  return approach_from_json({{"name", "svm"}, {"kind", "linear"}, {"hosting", hosting}}, "t.toml");
}

BusinessSettings per_day(double queries) {
  BusinessSettings b;
  if (queries > 0) b.queries_per_day = queries;
  return b;
}

TEST(SelfHostedCost, FixedBillPerQueryIsTheBillOverTheVolume) {
  // $0.36/hour, one instance always on, 30-day month: $259.20 for 300,000 queries.
  CostFigures c = self_hosted_cost(hosted({{"usd_per_hour", 0.36}}), 100.0, per_day(10000));
  ASSERT_TRUE(c.usd_per_month);
  EXPECT_NEAR(*c.usd_per_month, 0.36 * 24 * 30, 1e-9);
  ASSERT_TRUE(c.usd_per_1k);
  EXPECT_NEAR(*c.usd_per_1k, 1000 * 0.36 * 24 * 30 / 300000, 1e-12);
  EXPECT_EQ(c.kind, "hosting_fixed");
  EXPECT_TRUE(c.notes.empty());
}

TEST(SelfHostedCost, WithoutVolumeOneInstanceAtFullLoad) {
  // $0.36/hour at 100 predictions/s: 360,000 predictions an hour, $0.001 per 1k.
  CostFigures c = self_hosted_cost(hosted({{"usd_per_hour", 0.36}}), 100.0, per_day(0));
  ASSERT_TRUE(c.usd_per_1k);
  EXPECT_NEAR(*c.usd_per_1k, 0.001, 1e-12);
  EXPECT_FALSE(c.usd_per_month);
}

TEST(SelfHostedCost, AddsInstancesWhenOneCannotKeepUp) {
  // 1,000,000 queries a day is 11.6/s; at 5/s three instances are needed.
  CostFigures c = self_hosted_cost(hosted({{"usd_per_hour", 1.0}}), 5.0, per_day(1'000'000));
  ASSERT_TRUE(c.usd_per_month);
  EXPECT_NEAR(*c.usd_per_month, 3 * 24 * 30.0, 1e-9);
  EXPECT_FALSE(c.notes.empty());
}

TEST(SelfHostedCost, MonthlyBillIsTheConfiguredOne) {
  CostFigures c = self_hosted_cost(hosted({{"usd_per_month", 500}}), 5.0, per_day(10000));
  ASSERT_TRUE(c.usd_per_month);
  EXPECT_DOUBLE_EQ(*c.usd_per_month, 500);
  EXPECT_EQ(c.basis.find("instances"), std::string::npos) << c.basis;
  EXPECT_TRUE(c.notes.empty());
}

TEST(SelfHostedCost, SaysWhenHostingIsAssumed) {
  CostFigures c = self_hosted_cost(default_approach("svm", "linear"), 100.0, per_day(0));
  EXPECT_FALSE(c.usd_per_month);  // no volume, no monthly figure
  // The basis is the formula of the $ per 1k shown, not a month's bill with nothing to spread
  // it over.
  EXPECT_EQ(c.basis,
            "hosting $0.10/hour / 100 queries/s (measured throughput): one instance at full load, "
            "no volume to spread a month's bill over");
  ASSERT_TRUE(c.usd_per_1k);
  EXPECT_NEAR(*c.usd_per_1k, 1000.0 * 0.10 / (100.0 * 3600.0), 1e-15);
  ASSERT_FALSE(c.notes.empty());
  EXPECT_NE(c.notes[0].find("assumed"), std::string::npos);
  EXPECT_TRUE(c.hosting_assumed);
}

TEST(SelfHostedCost, ABillThatIsThePriceAloneIsAssumedOneRaisedByThroughputEstimated) {
  CostFigures price = self_hosted_cost(default_approach("svm", "linear"), 100.0, per_day(10000));
  EXPECT_EQ(price.provenance, "assumed");
  EXPECT_EQ(cost_json(price)["cost_provenance"], "assumed");
  EXPECT_EQ(cost_json(price)["hosting_assumed"], true);
  CostFigures raised = self_hosted_cost(hosted({{"usd_per_hour", 1.0}}), 5.0, per_day(1'000'000));
  EXPECT_EQ(raised.provenance, "estimated");
  EXPECT_EQ(cost_json(raised)["hosting_assumed"], false);
}

// A throughput typed into hosting.throughput_per_s is assumed, not measured: instances raised on
// it are said so, and the bill is assumed. A usd_per_month bill the volume outgrows says so too,
// and one with no volume to spread over prices nothing (assumed, not "estimated").
TEST(SelfHostedCost, ATypedThroughputIsAssumedNotMeasured) {
  CostFigures typed = self_hosted_cost(hosted({{"usd_per_hour", 1.0}, {"throughput_per_s", 0.01}}),
                                       0.01, per_day(2000));
  EXPECT_EQ(typed.provenance, "assumed");
  ASSERT_FALSE(typed.notes.empty());
  EXPECT_EQ(typed.notes[0], "volume needs 3 instances at hosting.throughput_per_s (assumed)");
  CostFigures monthly = self_hosted_cost(
      hosted({{"usd_per_month", 100}, {"instances", 2}, {"throughput_per_s", 0.01}}), 0.01,
      per_day(2000));
  ASSERT_FALSE(monthly.notes.empty());
  EXPECT_NE(monthly.notes[0].find("the usd_per_month bill is taken as covering them"),
            std::string::npos)
      << monthly.notes[0];
  CostFigures no_volume = self_hosted_cost(hosted({{"usd_per_month", 150}}), 100.0, per_day(0));
  EXPECT_FALSE(no_volume.usd_per_month);
  EXPECT_EQ(no_volume.provenance, "assumed");
}

TEST(SelfHostedCost, RejectsNegativePricesWhenTheConfigIsRead) {
  EXPECT_THROW(hosted({{"usd_per_hour", -1}}), UserError);
  EXPECT_THROW(hosted({{"usd_per_hour", 1}, {"instances", 0}}), UserError);
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

// A price typed into the approach's table is named as the team's, not the catalogue's: a
// finance reader took "catalogue price" for a vendor's list price.
TEST(ApiCost, APriceTypedInTheConfigIsNamedAsSuch) {
  std::vector<Prediction> p(1);
  p[0].cost_usd = 0.001;
  EXPECT_EQ(api_cost(p, 1000, 30, "https://example.com/pricing").basis,
            "measured tokens x catalogue price");
  EXPECT_EQ(api_cost(p, 1000, 30, "config: approach 'api'").basis,
            "measured tokens x the price typed in the config (approach 'api')");
  nlohmann::json summary = {{"price", {{"source", "config: approach 'api'"}}}};
  EXPECT_EQ(price_source(summary), "config: approach 'api'");
  EXPECT_EQ(price_source(nlohmann::json{{"price", nullptr}}), "");
}

TEST(ApiCost, UnknownPriceStaysUnknownNeverZero) {
  std::vector<Prediction> p(2);
  p[0].cost_usd = 0.001;
  p[1].tokens_in = 120;  // tokens known, no price
  CostFigures c = api_cost(p, 1000);
  EXPECT_FALSE(c.usd_per_1k);
  EXPECT_FALSE(c.usd_per_month);
  EXPECT_NE(c.basis.find("unknown: no price"), std::string::npos);
  nlohmann::json j = cost_json(c);
  EXPECT_TRUE(j["usd_per_1k"].is_null());
}

// An answer without token usage is not a missing price: it was explained as one, and a single
// such answer made the whole approach's cost unknown.
TEST(ApiCost, AnswersWithoutUsageAreSaidAsSuchAndTheRestEstimateTheCost) {
  std::vector<Prediction> p(3);
  p[0].cost_usd = 0.001;
  p[0].tokens_in = 100;
  p[1].cost_usd = 0.003;
  p[1].tokens_in = 300;
  CostFigures c = api_cost(p, 1000);  // p[2]: no usage reported
  ASSERT_TRUE(c.usd_per_1k);
  EXPECT_NEAR(*c.usd_per_1k, 2.0, 1e-12);
  EXPECT_EQ(c.basis.find("no price"), std::string::npos) << c.basis;
  EXPECT_NE(c.basis.find("estimated"), std::string::npos) << c.basis;
  EXPECT_NE(c.basis.find("1 of 3 did not"), std::string::npos) << c.basis;
  std::vector<Prediction> none(2);
  CostFigures unknown = api_cost(none, 1000);
  EXPECT_FALSE(unknown.usd_per_1k);
  EXPECT_NE(unknown.basis.find("none of the 2 answers reported usable token counts"),
            std::string::npos)
      << unknown.basis;
}

}  // namespace
}  // namespace tunecase
