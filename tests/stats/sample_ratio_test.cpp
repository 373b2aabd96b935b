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
  EXPECT_NEAR(r.p_value, 1, 1e-9);
  EXPECT_TRUE(r.exact);
  EXPECT_FALSE(r.mismatch);
}

TEST(SampleRatio, SixHundredInsteadOfFiveHundredIsAMismatch) {
  // X² = 100²/9500 + 100²/500 = 21.05 (chi-square p 4.5e-6); two arms: the exact binomial test,
  // R's binom.test(600, 10000, 0.05): p = 8.42e-6.
  const std::vector<std::size_t> observed{9400, 600};
  const std::vector<double> weights{95, 5};  // weights need not sum to 1
  const SampleRatioCheck r = sample_ratio_check(observed, weights);
  EXPECT_NEAR(r.chi_square, 21.0526, 1e-4);
  EXPECT_NEAR(r.p_value, 8.4246e-6, 1e-9);
  EXPECT_TRUE(r.mismatch);
}

TEST(SampleRatio, ChanceUnevennessIsNotAMismatch) {
  const std::vector<std::size_t> observed{520, 480};
  const std::vector<double> weights{1, 1};
  const SampleRatioCheck r = sample_ratio_check(observed, weights);
  EXPECT_NEAR(r.p_value, 0.21745, 1e-5);  // binom.test(480, 1000); chi-square gave 0.2059
  EXPECT_FALSE(r.mismatch);
}

// A 5% arm's first day: 5 of 20 requests. Healthy routing gives that or more 0.26% of the time,
// not a mismatch at 0.001; the chi-square (expected count 1, outside its validity) said p =
// 4.1e-5 and blocked the pilot, at 2.6 times the threshold's rate over such pilots.
TEST(SampleRatio, AFewRequestsToASmallArmAreJudgedExactly) {
  const std::vector<std::size_t> observed{15, 5};
  const std::vector<double> weights{0.95, 0.05};
  const SampleRatioCheck r = sample_ratio_check(observed, weights);
  EXPECT_TRUE(r.exact);
  EXPECT_NEAR(r.p_value, 0.0025739, 1e-7);
  EXPECT_FALSE(r.mismatch);
  EXPECT_LT(chi_square_upper_tail(r.chi_square, 1), kSampleRatioThreshold);
}

TEST(BinomialTwoSided, MatchesADirectSumAndStaysFastAtAMillion) {
  EXPECT_NEAR(binomial_two_sided(0, 20, 0.05), 0.62264640, 1e-8);  // every count but 1
  EXPECT_NEAR(binomial_two_sided(20, 20, 0.05), 9.5367e-27, 1e-30);
  EXPECT_NEAR(binomial_two_sided(1, 20, 0.05), 1.0, 1e-12);  // the mode
  // 51,000 of a million at 5%: 4.5 standard deviations; a direct sum over every count gives
  // 4.7717e-6.
  EXPECT_NEAR(binomial_two_sided(51000, 1000000, 0.05), 4.77165e-6, 1e-10);
  EXPECT_EQ(binomial_two_sided(600000, 1000000, 0.05), 0);  // beyond a double's range
  EXPECT_THROW(binomial_two_sided(3, 2, 0.5), std::invalid_argument);
  EXPECT_THROW(binomial_two_sided(1, 2, 1.0), std::invalid_argument);
}

// Three arms keep Pearson's chi-square.
TEST(SampleRatio, ThreeArmsUseTheChiSquare) {
  const std::vector<std::size_t> observed{520, 240, 240};
  const std::vector<double> weights{0.5, 0.25, 0.25};
  const SampleRatioCheck r = sample_ratio_check(observed, weights);
  EXPECT_FALSE(r.exact);
  EXPECT_EQ(r.df, 2u);
  EXPECT_NEAR(r.p_value, chi_square_upper_tail(r.chi_square, 2), 1e-15);
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
