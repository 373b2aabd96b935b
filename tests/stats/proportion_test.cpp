#include "tunecase/stats/proportion.h"
#include "tunecase/stats/mcnemar.h"

#include <stdexcept>

#include <gtest/gtest.h>

#include <cmath>

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

namespace tunecase {
namespace {

// R: binom.test(5, 10)$conf.int = 0.1870860 0.8129140; binom.test(4, 4) = 0.3976354 1.
TEST(ClopperPearsonInterval, MatchesRsBinomTest) {
  Interval half = clopper_pearson_interval(5, 10);
  EXPECT_NEAR(half.lo, 0.1870860, 1e-6);
  EXPECT_NEAR(half.hi, 0.8129140, 1e-6);
  Interval all = clopper_pearson_interval(4, 4);
  EXPECT_NEAR(all.lo, 0.3976354, 1e-6);
  EXPECT_EQ(all.hi, 1.0);
  Interval none = clopper_pearson_interval(0, 10);
  EXPECT_EQ(none.lo, 0.0);
  EXPECT_NEAR(none.hi, 1 - std::pow(0.025, 0.1), 1e-6);
}

// It excludes one half exactly where McNemar's exact test on the same split is below 5%: the
// memo's paired judgement and eval's test never disagree.
TEST(ClopperPearsonInterval, ExcludesOneHalfExactlyWhereMcNemarRejects) {
  for (std::size_t b = 0; b <= 40; ++b) {
    for (std::size_t c = 0; c <= 40; ++c) {
      if (b + c == 0) continue;
      Interval i = clopper_pearson_interval(b, b + c);
      bool excludes = i.lo > 0.5 || i.hi < 0.5;
      EXPECT_EQ(excludes, mcnemar_exact_p(b, c) < 0.05) << b << " vs " << c;
    }
  }
}

}  // namespace
}  // namespace tunecase
