#include <gtest/gtest.h>

#include "tunecase/stats/drift.h"

namespace tunecase {
namespace {

TEST(PopulationStabilityIndex, MatchesAHandComputedValue) {
  // Shares 50/50 -> 75/25 with half a count added per category:
  // (0.7475 - 0.5) ln(0.7475 / 0.5) + (0.2525 - 0.5) ln(0.2525 / 0.5) = 0.2687.
  EXPECT_NEAR(population_stability_index({{"a", 50}, {"b", 50}}, {{"a", 75}, {"b", 25}}), 0.2687,
              1e-3);
}

TEST(PopulationStabilityIndex, IsZeroForTheSameMixAndFiniteForANewLabel) {
  EXPECT_NEAR(population_stability_index({{"a", 30}, {"b", 70}}, {{"a", 300}, {"b", 700}}), 0,
              1e-3);
  double psi =
      population_stability_index({{"a", 500}, {"b", 500}}, {{"a", 400}, {"b", 400}, {"new", 200}});
  EXPECT_TRUE(std::isfinite(psi));
  EXPECT_GT(psi, 0.25);
  EXPECT_EQ(population_stability_index({}, {{"a", 1}}), 0);
}

TEST(ChiSquareHomogeneity, MatchesAHandComputedValue) {
  // Expected 62.5 / 37.5 in each row: 2 * 12.5^2 / 62.5 + 2 * 12.5^2 / 37.5 = 13.33.
  auto r = chi_square_homogeneity({{"a", 50}, {"b", 50}}, {{"a", 75}, {"b", 25}});
  EXPECT_NEAR(r.statistic, 13.333, 1e-3);
  EXPECT_EQ(r.df, 1);
  EXPECT_NEAR(r.p_value, 2.61e-4, 1e-5);
  auto same = chi_square_homogeneity({{"a", 50}, {"b", 50}}, {{"a", 50}, {"b", 50}});
  EXPECT_NEAR(same.p_value, 1, 1e-9);
}

TEST(RocAuc, CountsTiesAsHalf) {
  EXPECT_DOUBLE_EQ(roc_auc({0.9, 0.8}, {0.1, 0.8}), 0.875);
  EXPECT_DOUBLE_EQ(roc_auc({1, 2, 3}, {4, 5}), 0);
  EXPECT_DOUBLE_EQ(roc_auc({}, {1}), 0.5);
}

}  // namespace
}  // namespace tunecase
