#include "tunecase/stats/proportion.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace tunecase {
namespace {

// Reference values: Wilson score interval with z = 1.96, computed by hand (and matching
// statsmodels proportion_confint(method="wilson")).
TEST(WilsonInterval, MatchesHandComputedValue) {
  const Interval ci = wilson_interval(8, 10);
  EXPECT_NEAR(ci.lo, 0.4902, 1e-4);
  EXPECT_NEAR(ci.hi, 0.9433, 1e-4);
}

TEST(WilsonInterval, AllCorrectReachesOneButNotBelowTheLowerBound) {
  const Interval ci = wilson_interval(10, 10);
  EXPECT_DOUBLE_EQ(ci.hi, 1.0);
  EXPECT_NEAR(ci.lo, 0.7225, 1e-4);
}

TEST(WilsonInterval, NoneCorrectStartsAtZero) {
  const Interval ci = wilson_interval(0, 10);
  EXPECT_DOUBLE_EQ(ci.lo, 0.0);
  EXPECT_NEAR(ci.hi, 0.2775, 1e-4);
}

TEST(WilsonInterval, EmptySampleIsUninformative) {
  const Interval ci = wilson_interval(0, 0);
  EXPECT_EQ(ci.lo, 0.0);
  EXPECT_EQ(ci.hi, 1.0);
}

TEST(WilsonInterval, ContainsTheObservedProportionAndNarrowsWithN) {
  const Interval small = wilson_interval(9, 10);
  const Interval large = wilson_interval(900, 1000);
  EXPECT_LT(small.lo, 0.9);
  EXPECT_GT(small.hi, 0.9);
  EXPECT_LT(large.lo, 0.9);
  EXPECT_GT(large.hi, 0.9);
  EXPECT_LT(large.hi - large.lo, small.hi - small.lo);
}

TEST(WilsonInterval, WiderAtHigherConfidence) {
  const Interval ci95 = wilson_interval(50, 100);
  const Interval ci99 = wilson_interval(50, 100, 2.5758293035489);
  EXPECT_LT(ci99.lo, ci95.lo);
  EXPECT_GT(ci99.hi, ci95.hi);
}

TEST(WilsonInterval, RejectsMoreSuccessesThanTrials) {
  EXPECT_THROW(wilson_interval(11, 10), std::invalid_argument);
}

}  // namespace
}  // namespace tunecase
