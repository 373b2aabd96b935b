#include "tunecase/store/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace tunecase {
namespace {

TEST(LatencyHistogram, PercentilesAreWithinHalfAPercentOfTheExactOrderStatistic) {
  std::mt19937 rng(3);
  std::lognormal_distribution<double> latency(std::log(40.0), 0.8);
  std::vector<double> values;
  LatencyHistogram h;
  for (int i = 0; i < 20000; ++i) {
    values.push_back(latency(rng));
    h.add(values.back());
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.95, 0.99}) {
    double exact = values[static_cast<std::size_t>(std::ceil(q * values.size())) - 1];
    EXPECT_NEAR(h.quantile(q), exact, exact * 0.005) << q;
  }
}

TEST(LatencyHistogram, SurvivesEncodingAndMerging) {
  LatencyHistogram a, b;
  a.add(0);
  a.add(1.5, 3);
  b.add(250);
  b.add(0.0004);
  LatencyHistogram merged = LatencyHistogram::decode(a.encode());
  merged.merge(LatencyHistogram::decode(b.encode()));
  EXPECT_EQ(merged.total(), 6);
  EXPECT_EQ(merged.quantile(0.01), 0);  // 1 us and below read as 0
  EXPECT_NEAR(merged.quantile(0.5), 1.5, 1.5 * 0.005);
  EXPECT_NEAR(merged.quantile(1.0), 250, 250 * 0.005);
  EXPECT_TRUE(LatencyHistogram::decode("").empty());
  EXPECT_ANY_THROW(LatencyHistogram::decode("12;4"));
}

TEST(LatencyHistogram, DecodingSumsRepeatedAndUnorderedBuckets) {
  LatencyHistogram h = LatencyHistogram::decode("7:2 3:1 7:5");
  EXPECT_EQ(h.encode(), "3:1 7:7");
  EXPECT_EQ(h.total(), 8);
  LatencyHistogram other = LatencyHistogram::decode("1:4 7:1 9:2");
  h.merge(other);
  EXPECT_EQ(h.encode(), "1:4 3:1 7:8 9:2");
}

TEST(LatencyHistogram, EmptyHistogramSummarisesToZeros) {
  LatencySummary s = LatencyHistogram().summary(0);
  EXPECT_EQ(s.n, 0);
  EXPECT_EQ(s.p99, 0);
}

}  // namespace
}  // namespace tunecase
