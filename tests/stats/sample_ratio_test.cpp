#include "tunecase/stats/sample_ratio.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace tunecase {
namespace {

TEST(ChiSquareTail, MatchesTabulatedCriticalValues) {
  EXPECT_NEAR(chi_square_upper_tail(3.841459, 1), 0.05, 1e-7);
  EXPECT_NEAR(chi_square_upper_tail(5.991465, 2), 0.05, 1e-7);
  EXPECT_NEAR(chi_square_upper_tail(11.070498, 5), 0.05, 1e-7);
  EXPECT_NEAR(chi_square_upper_tail(10.827566, 1), 0.001, 1e-9);
  EXPECT_NEAR(chi_square_upper_tail(0.454936, 1), 0.5, 1e-6);       // median, series branch
  EXPECT_NEAR(chi_square_upper_tail(2, 2), std::exp(-1.0), 1e-12);  // df 2: e^(-x/2)
  EXPECT_EQ(chi_square_upper_tail(0, 3), 1);
  EXPECT_LT(chi_square_upper_tail(500, 1), 1e-100);
  EXPECT_THROW(chi_square_upper_tail(1, 0), std::invalid_argument);
}

TEST(SampleRatio, SplitAsPlannedPasses) {
  const std::vector<std::size_t> observed{9500, 500};
  const std::vector<double> weights{0.95, 0.05};
  const SampleRatioCheck r = sample_ratio_check(observed, weights);
  EXPECT_EQ(r.df, 1u);
  EXPECT_NEAR(r.chi_square, 0, 1e-12);
  EXPECT_NEAR(r.p_value, 1, 1e-12);
  EXPECT_FALSE(r.mismatch);
}

TEST(SampleRatio, SixHundredInsteadOfFiveHundredIsAMismatch) {
  // X² = 100²/9500 + 100²/500 = 21.05, p = 4.5e-6.
  const std::vector<std::size_t> observed{9400, 600};
  const std::vector<double> weights{95, 5};  // weights need not sum to 1
  const SampleRatioCheck r = sample_ratio_check(observed, weights);
  EXPECT_NEAR(r.chi_square, 21.0526, 1e-4);
  EXPECT_NEAR(r.p_value, 4.48e-6, 1e-7);
  EXPECT_TRUE(r.mismatch);
}

TEST(SampleRatio, ChanceUnevennessIsNotAMismatch) {
  const std::vector<std::size_t> observed{520, 480};
  const std::vector<double> weights{1, 1};
  const SampleRatioCheck r = sample_ratio_check(observed, weights);
  EXPECT_NEAR(r.p_value, 0.2059, 1e-4);  // X² = 1.6
  EXPECT_FALSE(r.mismatch);
}

TEST(SampleRatio, RequestsToAnArmPlannedAtZeroAreAMismatch) {
  const std::vector<std::size_t> observed{100, 1};
  const std::vector<double> weights{1, 0};
  const SampleRatioCheck r = sample_ratio_check(observed, weights);
  EXPECT_EQ(r.p_value, 0);
  EXPECT_TRUE(r.mismatch);
}

TEST(SampleRatio, NoRequestsYetIsNoEvidence) {
  const std::vector<std::size_t> observed{0, 0, 0};
  const std::vector<double> weights{0.5, 0.25, 0.25};
  const SampleRatioCheck r = sample_ratio_check(observed, weights);
  EXPECT_EQ(r.p_value, 1);
  EXPECT_FALSE(r.mismatch);
}

TEST(SampleRatio, RejectsBadWeights) {
  const std::vector<std::size_t> two{1, 2};
  const std::vector<double> negative{1, -1}, zero{0, 0}, nan{1, std::nan("")}, one{1};
  const std::vector<double> inf{1, std::numeric_limits<double>::infinity()};
  EXPECT_THROW(sample_ratio_check(two, negative), std::invalid_argument);
  EXPECT_THROW(sample_ratio_check(two, zero), std::invalid_argument);
  EXPECT_THROW(sample_ratio_check(two, nan), std::invalid_argument);
  EXPECT_THROW(sample_ratio_check(two, inf), std::invalid_argument);
  EXPECT_THROW(sample_ratio_check(two, one), std::invalid_argument);
}

}  // namespace
}  // namespace tunecase
