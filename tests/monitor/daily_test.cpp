#include <gtest/gtest.h>

#include "monitor_fixture.h"
#include "tunecase/monitor/alert_rules.h"
#include "tunecase/monitor/daily.h"

namespace tunecase::monitor::testing {
namespace {

TEST(IsoDate, NamesCivilDates) {
  EXPECT_EQ(iso_date(0), "1970-01-01");
  EXPECT_EQ(iso_date(kDay0), "2026-03-02");
  EXPECT_EQ(iso_date(-1), "1969-12-31");
  EXPECT_EQ(iso_date(day_of_ms(kT0 - 1)), "2026-03-01");
  EXPECT_EQ(iso_date(19782), "2024-02-29");
}

TEST(SeriesFromDays, EveryDayOfTheWindowIsPresentAndGapsAreEmpty) {
  DayFigures f;
  f.day = kDay0 + 2;
  f.approach = "linear";
  f.requests = 100;
  f.labelled = 60;
  f.correct = 51;
  f.errors = 4;
  DailyQuery q{kDay0, kDay0 + 5, 50, {}};
  auto series = series_from_days({f}, q);
  ASSERT_EQ(series.size(), 1u);
  ASSERT_EQ(series[0].days.size(), 5u);
  EXPECT_EQ(series[0].days[0].requests, 0);
  EXPECT_FALSE(series[0].days[0].accuracy);
  const DayPoint& d = series[0].days[2];
  EXPECT_EQ(d.date, "2026-03-04");
  ASSERT_TRUE(d.accuracy);
  EXPECT_DOUBLE_EQ(*d.accuracy, 0.85);
  Interval ci = wilson_interval(51, 60);
  EXPECT_DOUBLE_EQ(d.accuracy_ci95.lo, ci.lo);
  EXPECT_DOUBLE_EQ(d.accuracy_ci95.hi, ci.hi);
  EXPECT_TRUE(d.counted);
  EXPECT_DOUBLE_EQ(d.error_rate, 0.04);
}

TEST(SeriesFromDays, ADayWithFewerLabelsThanTheMinimumDoesNotCount) {
  DayFigures f;
  f.day = kDay0;
  f.approach = "linear";
  f.requests = 10;
  f.labelled = 10;
  f.correct = 2;
  auto series = series_from_days({f}, DailyQuery{kDay0, kDay0 + 1, 50, {}});
  EXPECT_FALSE(series[0].days[0].counted);
}

TEST(SeriesFromDays, AnApproachAskedForWithoutTrafficStillHasASeries) {
  auto series = series_from_days({}, DailyQuery{kDay0, kDay0 + 3, 50, {"llm"}});
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].name, "llm");
  EXPECT_EQ(series[0].days.size(), 3u);
}

// A day's answers without token usage: with some priced answers their spend is estimated at the
// known mean; for a priced approach none of whose answers carried a cost it is unknown, and the
// ceiling is not judged on $0. A local model (not priced) has no per-request cost at all.
TEST(SeriesFromDays, AnswersWithoutUsageAreUnknownCostNeverZero) {
  DayFigures f;
  f.day = kDay0;
  f.approach = "llm";
  f.requests = 10;
  f.costed = 4;
  f.cost_usd = 0.4;
  f.tokens_in = 400;
  DailyQuery q{kDay0, kDay0 + 1, 50, {}};
  DayPoint some = series_from_days({f}, q)[0].days[0];
  EXPECT_EQ(some.cost_unknown, 6);
  ASSERT_TRUE(some.cost_estimated_usd);
  EXPECT_NEAR(*some.cost_estimated_usd, 1.0, 1e-12);
  f.costed = 0;
  f.cost_usd = 0;
  f.tokens_in = 0;
  EXPECT_EQ(series_from_days({f}, q)[0].days[0].cost_unknown, 0) << "not priced";
  q.priced = {"llm"};
  DayPoint none = series_from_days({f}, q)[0].days[0];
  EXPECT_EQ(none.cost_unknown, 10);
  EXPECT_FALSE(none.cost_estimated_usd);
  f.costed = 2;  // two answers from the response cache: $0, and no price for the others
  f.cached = 2;
  EXPECT_FALSE(series_from_days({f}, q)[0].days[0].cost_estimated_usd);
  MonitorSettings s;
  s.max_usd_per_day = 5;
  ApproachSeries series;
  series.approach = series.name = "llm";
  series.days = {none};
  for (const Finding& finding : evaluate_series(series, s))
    if (finding.kind == kCostPerDay) {
      EXPECT_EQ(finding.state, RuleState::unknown);
    }
}

TEST(SeriesFromDays, AnEmptyWindowIsRefused) {
  EXPECT_THROW(series_from_days({}, DailyQuery{kDay0, kDay0, 50, {}}), std::invalid_argument);
}

using DailyFigures = StoreTest;

TEST_F(DailyFigures, ReadsDaysFromTheStoreWithLatencyAndCost) {
  log_day("linear", 0, 120, 100, 90, 100);
  log_day("linear", 2, 80, 60, 30, 300, 8);
  auto series = daily_figures(*store_, DailyQuery{kDay0, kDay0 + 3, 50, {}});
  ASSERT_EQ(series.size(), 1u);
  const auto& days = series[0].days;
  EXPECT_EQ(days[0].requests, 120);
  EXPECT_EQ(days[0].labelled, 100);
  EXPECT_DOUBLE_EQ(*days[0].accuracy, 0.9);
  EXPECT_NEAR(days[0].latency_p95_ms, 100, 1);
  ASSERT_TRUE(days[0].cost_usd.has_value());
  EXPECT_NEAR(*days[0].cost_usd, 1.2, 1e-9);
  EXPECT_EQ(days[1].requests, 0);
  // A day whose requests carried no price (nothing spent, no tokens: a local model) has no cost,
  // not a measured $0 (its hosting is the memo's monthly figure).
  EXPECT_FALSE(days[1].cost_usd.has_value());
  EXPECT_EQ(days[2].errors, 8);
  EXPECT_DOUBLE_EQ(*days[2].accuracy, 0.5);
  EXPECT_NEAR(days[2].latency_p50_ms, 300, 3);
  EXPECT_EQ(series[0].labelled, 160);
}

}  // namespace
}  // namespace tunecase::monitor::testing
