#include "tunecase/stats/two_proportion.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace tunecase {
namespace {

TEST(TwoProportionTest, MatchesHandComputedZAndP) {
  // pooled p = 0.5, se = sqrt(0.25 * 0.02), z = 0.2 / se = 2.828
  const TwoProportionResult r = two_proportion_test(60, 100, 40, 100);
  EXPECT_NEAR(r.diff, 0.2, 1e-12);
  EXPECT_NEAR(r.z, 2.828427, 1e-6);
  EXPECT_NEAR(r.p_value, 0.004678, 1e-6);
  EXPECT_NEAR(r.diff_ci95.lo, 0.0614, 1e-4);
  EXPECT_NEAR(r.diff_ci95.hi, 0.3281, 1e-4);
}

TEST(TwoProportionTest, MatchesNewcombesPublishedInterval) {
  // Newcombe (1998), Table II example (56/70 vs 48/80), method 10: 0.0524 to 0.3339.
  const TwoProportionResult r = two_proportion_test(56, 70, 48, 80);
  EXPECT_NEAR(r.diff_ci95.lo, 0.0524, 1e-4);
  EXPECT_NEAR(r.diff_ci95.hi, 0.3339, 1e-4);
}

TEST(TwoProportionTest, SignFollowsTheFirstArm) {
  const TwoProportionResult r = two_proportion_test(40, 100, 60, 100);
  EXPECT_LT(r.diff, 0);
  EXPECT_LT(r.z, 0);
  EXPECT_NEAR(r.p_value, 0.004678, 1e-6);
}

TEST(TwoProportionTest, EqualProportionsAreNotSignificant) {
  const TwoProportionResult r = two_proportion_test(45, 50, 900, 1000);
  EXPECT_NEAR(r.diff, 0, 1e-12);
  EXPECT_NEAR(r.p_value, 1.0, 1e-12);
  EXPECT_LT(r.diff_ci95.lo, 0);
  EXPECT_GT(r.diff_ci95.hi, 0);
}

TEST(TwoProportionTest, BothArmsPerfectHasNoVariance) {
  const TwoProportionResult r = two_proportion_test(20, 20, 30, 30);
  EXPECT_EQ(r.z, 0);
  EXPECT_EQ(r.p_value, 1);
  EXPECT_LE(r.diff_ci95.lo, 0);
  EXPECT_GE(r.diff_ci95.hi, 0);
}

TEST(TwoProportionTest, EmptyArmCarriesNoEvidence) {
  const TwoProportionResult r = two_proportion_test(0, 0, 30, 40);
  EXPECT_EQ(r.diff, 0);
  EXPECT_EQ(r.p_value, 1);
  EXPECT_EQ(r.diff_ci95.lo, -1);
  EXPECT_EQ(r.diff_ci95.hi, 1);
}

TEST(TwoProportionTest, RejectsMoreSuccessesThanTrials) {
  EXPECT_THROW(two_proportion_test(5, 4, 1, 2), std::invalid_argument);
}

}  // namespace
}  // namespace tunecase
