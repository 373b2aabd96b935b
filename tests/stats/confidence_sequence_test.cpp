#include "tunecase/stats/confidence_sequence.h"

#include <random>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tunecase/stats/two_proportion.h"

namespace tunecase {
namespace {

TEST(ConfidenceSequence, MultiplierIsTightestAtThePlannedSample) {
  const double at_plan = mixture_multiplier(1, 0.05);
  EXPECT_NEAR(at_plan, 3.035, 1e-3);  // 1.55x the fixed-sample 1.96
  EXPECT_GT(mixture_multiplier(0.5, 0.05), at_plan);
  EXPECT_GT(mixture_multiplier(2, 0.05), at_plan);
  EXPECT_GT(mixture_multiplier(0.01, 0.05), 2 * at_plan);  // day one of a long pilot
  EXPECT_GT(mixture_multiplier(1, 0.01), at_plan);
}

TEST(ConfidenceSequence, IsWiderThanTheFixedSampleIntervalItReplaces) {
  for (std::size_t n : {50, 1000, 5000}) {
    const Interval cs = difference_sequence(n * 85 / 100, n, n * 80 / 100, n, {0.05, 1000});
    const Interval fixed = two_proportion_test(n * 85 / 100, n, n * 80 / 100, n).diff_ci95;
    EXPECT_LT(cs.lo, fixed.lo) << n;
    EXPECT_GT(cs.hi, fixed.hi) << n;
    // The price of looking every day, at the planned sample: about 3.04 / 1.96.
    if (n == 1000) {
      EXPECT_LT(cs.hi - cs.lo, 1.6 * (fixed.hi - fixed.lo));
    }
  }
}

TEST(ConfidenceSequence, NarrowsAsLabelsArriveAndCentresOnTheObservedDifference) {
  const Interval early = difference_sequence(90, 100, 80, 100, {0.05, 2000});
  const Interval late = difference_sequence(1800, 2000, 1600, 2000, {0.05, 2000});
  EXPECT_LT(late.hi - late.lo, (early.hi - early.lo) / 3);
  EXPECT_NEAR((late.lo + late.hi) / 2, 0.1, 1e-12);
  EXPECT_GT(late.lo, 0);  // 10 points on 2,000 a side is clear even under daily looks
  EXPECT_LT(early.lo, 0);
}

TEST(ConfidenceSequence, AllCorrectArmsStillHaveWidth) {
  const Interval cs = difference_sequence(20, 20, 19, 19, {0.05, 1000});
  EXPECT_LT(cs.lo, 0);
  EXPECT_GT(cs.hi, 0);
}

TEST(ConfidenceSequence, EmptyArmCarriesNoEvidence) {
  const Interval cs = difference_sequence(0, 0, 30, 40);
  EXPECT_EQ(cs.lo, -1);
  EXPECT_EQ(cs.hi, 1);
  const Interval paired = paired_difference_sequence(0, 0, 0);
  EXPECT_EQ(paired.lo, -1);
  EXPECT_EQ(paired.hi, 1);
}

TEST(ConfidenceSequence, RejectsImpossibleCountsAndOptions) {
  EXPECT_THROW(difference_sequence(5, 4, 1, 2), std::invalid_argument);
  EXPECT_THROW(paired_difference_sequence(10, 6, 5), std::invalid_argument);
  EXPECT_THROW(difference_sequence(1, 2, 1, 2, {0, 100}), std::invalid_argument);
  EXPECT_THROW(difference_sequence(1, 2, 1, 2, {1, 100}), std::invalid_argument);
  EXPECT_THROW(difference_sequence(1, 2, 1, 2, {0.05, 0}), std::invalid_argument);
  EXPECT_THROW(mixture_multiplier(0, 0.05), std::invalid_argument);
}

TEST(ConfidenceSequence, PairedUsesOnlyTheDiscordantItems) {
  // 1,000 items, the first approach alone right on 120, the second alone on 60: d = 0.06,
  // se = sqrt((181/1002 - (60/1002)^2) / 1000).
  const Interval cs = paired_difference_sequence(1000, 120, 60, {0.05, 1000});
  const double se = std::sqrt((181.0 / 1002 - (60.0 / 1002) * (60.0 / 1002)) / 1000);
  EXPECT_NEAR(cs.lo, 0.06 - se * mixture_multiplier(1, 0.05), 1e-12);
  EXPECT_NEAR(cs.hi, 0.06 + se * mixture_multiplier(1, 0.05), 1e-12);
  EXPECT_GT(cs.lo, 0);
  const Interval swapped = paired_difference_sequence(1000, 60, 120, {0.05, 1000});
  EXPECT_NEAR(swapped.lo, -cs.hi, 1e-12);
  // The same counts as independent arms are much less certain: pairing removes the items'
  // shared difficulty.
  const Interval split = difference_sequence(820, 1000, 760, 1000, {0.05, 1000});
  EXPECT_GT(split.hi - split.lo, 1.2 * (cs.hi - cs.lo));
}

// Looking after each of 30 days at a paired (shadow) pilot whose true difference is 3 points:
// the sequence misses it at some look in at most alpha of the pilots.
TEST(ConfidenceSequence, PairedCoverageHoldsAtEveryDailyLook) {
  std::mt19937_64 rng(20240611);
  const double first_only = 0.10, second_only = 0.07;  // true difference 0.03
  const int pilots = 1000, days = 30, per_day = 150;
  int missed = 0;
  for (int p = 0; p < pilots; ++p) {
    std::size_t pairs = 0, a = 0, b = 0;
    for (int day = 0; day < days; ++day) {
      std::uniform_real_distribution<double> u(0, 1);
      for (int i = 0; i < per_day; ++i) {
        const double x = u(rng);
        a += x < first_only;
        b += x >= first_only && x < first_only + second_only;
      }
      pairs += per_day;
      const Interval cs = paired_difference_sequence(pairs, a, b, {0.05, 2000});
      if (cs.lo > 0.03 || cs.hi < 0.03) {
        ++missed;
        break;
      }
    }
  }
  EXPECT_LE(missed, pilots * 5 / 100);
}

}  // namespace
}  // namespace tunecase
