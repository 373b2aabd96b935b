#include "tunecase/stats/percentile.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <gtest/gtest.h>

namespace tunecase {
namespace {

// The textbook nearest-rank example: {15, 20, 35, 40, 50}.
TEST(PercentileNearestRank, MatchesTextbookExample) {
  const std::vector<double> v{50, 15, 40, 20, 35};
  EXPECT_EQ(percentile_nearest_rank(v, 5), 15);
  EXPECT_EQ(percentile_nearest_rank(v, 30), 20);
  EXPECT_EQ(percentile_nearest_rank(v, 40), 20);
  EXPECT_EQ(percentile_nearest_rank(v, 50), 35);
  EXPECT_EQ(percentile_nearest_rank(v, 100), 50);
}

TEST(PercentileNearestRank, ReturnsAnObservedValueNotAnInterpolation) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i * 10.0);
  EXPECT_EQ(percentile_nearest_rank(v, 50), 500);
  EXPECT_EQ(percentile_nearest_rank(v, 95), 950);
  EXPECT_EQ(percentile_nearest_rank(v, 99), 990);
  EXPECT_EQ(percentile_nearest_rank(v, 99.5), 1000);
}

TEST(PercentileNearestRank, SingleValueIsEveryPercentile) {
  EXPECT_EQ(percentile_nearest_rank({7.5}, 1), 7.5);
  EXPECT_EQ(percentile_nearest_rank({7.5}, 100), 7.5);
}

TEST(PercentileNearestRank, EmptyIsNaN) {
  EXPECT_TRUE(std::isnan(percentile_nearest_rank({}, 50)));
}

TEST(PercentileNearestRank, IgnoresNaNValues) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(percentile_nearest_rank({nan, 3, nan, 1, 2}, 100), 3);
  EXPECT_EQ(percentile_nearest_rank({nan, 3, nan, 1, 2}, 50), 2);
  EXPECT_TRUE(std::isnan(percentile_nearest_rank({nan}, 50)));
}

TEST(PercentileNearestRank, RejectsPercentOutsideZeroToHundred) {
  EXPECT_THROW(percentile_nearest_rank({1, 2}, 0), std::invalid_argument);
  EXPECT_THROW(percentile_nearest_rank({1, 2}, 100.1), std::invalid_argument);
  EXPECT_THROW(percentile_nearest_rank({1, 2}, std::nan("")), std::invalid_argument);
}

}  // namespace
}  // namespace tunecase
