#include "tunecase/stats/mcnemar.h"

#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

namespace tunecase {
namespace {

// Builds paired outcomes with the given numbers of each kind of row.
struct Pairs {
  std::vector<bool> a, b;
};
Pairs make_pairs(int both, int a_only, int b_only, int neither) {
  Pairs p;
  auto add = [&](int count, bool a, bool b) {
    for (int i = 0; i < count; ++i) {
      p.a.push_back(a);
      p.b.push_back(b);
    }
  };
  add(both, true, true);
  add(a_only, true, false);
  add(b_only, false, true);
  add(neither, false, false);
  return p;
}

TEST(McNemarExact, CountsOnlyDiscordantRows) {
  const Pairs p = make_pairs(50, 1, 6, 20);
  const McNemarResult r = mcnemar_exact(p.a, p.b);
  EXPECT_EQ(r.a_only_correct, 1u);
  EXPECT_EQ(r.b_only_correct, 6u);
  // 2 * (C(7,0) + C(7,1)) / 2^7 = 2 * 8 / 128
  EXPECT_NEAR(r.p_value, 0.125, 1e-12);
}

TEST(McNemarExact, MatchesHandComputedBinomialTails) {
  EXPECT_NEAR(mcnemar_exact_p(0, 5), 2.0 / 32, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(8, 2), 2.0 * (1 + 10 + 45) / 1024, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(0, 20), 2.0 / (1 << 20), 1e-18);
}

TEST(McNemarExact, IsSymmetricInTheTwoApproaches) {
  EXPECT_DOUBLE_EQ(mcnemar_exact_p(3, 11), mcnemar_exact_p(11, 3));
}

TEST(McNemarExact, NoDisagreementGivesPOne) {
  const Pairs p = make_pairs(30, 0, 0, 10);
  const McNemarResult r = mcnemar_exact(p.a, p.b);
  EXPECT_EQ(r.a_only_correct + r.b_only_correct, 0u);
  EXPECT_EQ(r.p_value, 1.0);
  EXPECT_EQ(mcnemar_exact({}, {}).p_value, 1.0);
}

TEST(McNemarExact, BalancedDisagreementIsCappedAtOne) {
  EXPECT_EQ(mcnemar_exact_p(5, 5), 1.0);
  EXPECT_EQ(mcnemar_exact_p(500000, 500000), 1.0);
}

TEST(McNemarExact, MillionDiscordantPairsStayFiniteAndAccurate) {
  // z = (499000.5 - 500000) / 500 ≈ -2.0: the normal approximation gives p ≈ 0.0455.
  const double p = mcnemar_exact_p(499000, 501000);
  EXPECT_NEAR(p, 0.0455, 0.001);
  // 20 standard deviations: tiny but representable, never 0 or NaN.
  const double tiny = mcnemar_exact_p(490000, 510000);
  EXPECT_GT(tiny, 0.0);
  EXPECT_LT(tiny, 1e-80);
}

TEST(McNemarExact, RejectsVectorsOfDifferentLength) {
  EXPECT_THROW(mcnemar_exact({true, false}, {true}), std::invalid_argument);
}

}  // namespace
}  // namespace tunecase
