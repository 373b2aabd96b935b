#include "tunecase/serve/routing.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tunecase::serve {
namespace {

const std::vector<double> kPilot{0.95, 0.05};  // baseline, challenger

std::string ticket(int i) {
  return "T-" + std::to_string(i);
}

TEST(Routing, TheSameIdAlwaysGetsTheSameArm) {
  for (int i = 0; i < 1000; ++i) {
    const std::size_t arm = arm_for(ticket(i), "pilot-1", kPilot);
    EXPECT_EQ(arm_for(ticket(i), "pilot-1", kPilot), arm);
    EXPECT_EQ(unit_hash(ticket(i), "pilot-1"), unit_hash(ticket(i), "pilot-1"));
  }
}

TEST(Routing, HashIsPinnedSoRestartsAndReplicasAgree) {
  // Fixed values (computed independently from the documented recipe): a change here would
  // reshuffle every running pilot.
  EXPECT_DOUBLE_EQ(unit_hash("T-1042", "pilot-1"), 0.20201752264056816);
  EXPECT_DOUBLE_EQ(unit_hash("T-1042", "pilot-2"), 0.34332502763994033);
  EXPECT_EQ(arm_for("T-1042", "pilot-1", std::vector<double>{0.8, 0.2}), 0u);
  EXPECT_EQ(arm_for("T-1042", "pilot-1", std::vector<double>{0.2, 0.8}), 1u);
}

TEST(Routing, SharesConvergeToTheWeightsOver100kIds) {
  for (const std::vector<double>& weights :
       {kPilot, std::vector<double>{1, 1}, std::vector<double>{0.5, 0.3, 0.2}}) {
    std::vector<int> counts(weights.size(), 0);
    const int ids = 100'000;
    for (int i = 0; i < ids; ++i) ++counts[arm_for(ticket(i), "pilot-1", weights)];
    double sum = 0;
    for (double w : weights) sum += w;
    for (std::size_t a = 0; a < weights.size(); ++a) {
      const double p = weights[a] / sum;
      const double sd = std::sqrt(p * (1 - p) / ids);
      EXPECT_NEAR(counts[a] / double(ids), p, 4 * sd) << "arm " << a;
    }
  }
}

TEST(Routing, UnitHashIsUniformAcrossTenBins) {
  std::vector<int> bins(10, 0);
  const int ids = 100'000;
  for (int i = 0; i < ids; ++i) ++bins[static_cast<int>(unit_hash(ticket(i), "s") * 10)];
  double chi_square = 0;
  for (int b : bins) chi_square += (b - ids / 10.0) * (b - ids / 10.0) / (ids / 10.0);
  EXPECT_LT(chi_square, 27.88);  // chi-square, 9 df, p = 0.001
}

TEST(Routing, ChangingTheSaltReshuffles) {
  const std::vector<double> even{1, 1};
  int moved = 0;
  const int ids = 10'000;
  for (int i = 0; i < ids; ++i)
    moved += arm_for(ticket(i), "pilot-1", even) != arm_for(ticket(i), "pilot-2", even);
  EXPECT_NEAR(moved / double(ids), 0.5, 0.03);  // independent assignments agree half the time
  // Salt and id are not simply concatenated.
  EXPECT_NE(unit_hash("bc", "a"), unit_hash("c", "ab"));
}

TEST(Routing, ZeroWeightArmNeverGetsTraffic) {
  const std::vector<double> off{1, 0, 1};
  for (int i = 0; i < 10'000; ++i) EXPECT_NE(arm_for(ticket(i), "s", off), 1u);
  EXPECT_EQ(arm_at(0.9999999999999999, off), 2u);
  EXPECT_EQ(arm_at(0, off), 0u);
  EXPECT_EQ(arm_at(0.5, off), 2u);  // [0, 0.5) is arm 0
}

TEST(Routing, EmptyIdDrawsPerRequestWithTheWeightedShares) {
  std::vector<int> counts(2, 0);
  const int requests = 20'000;
  for (int i = 0; i < requests; ++i) ++counts[arm_for("", "pilot-1", kPilot)];
  EXPECT_NEAR(counts[1] / double(requests), 0.05, 4 * std::sqrt(0.05 * 0.95 / requests));
  EXPECT_GT(counts[0], 0);
  EXPECT_GT(counts[1], 0);  // not sticky: the same empty id meets both arms
}

TEST(Routing, RejectsWeightsThatCannotSplitTraffic) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const std::vector<double>& bad :
       {std::vector<double>{0.9, -0.1}, std::vector<double>{0, 0}, std::vector<double>{nan, 1},
        std::vector<double>{1, inf}, std::vector<double>{}}) {
    EXPECT_TRUE(weights_error(bad).has_value());
    EXPECT_THROW(arm_for("T-1", "s", bad), std::invalid_argument);
    EXPECT_THROW(arm_for("", "s", bad), std::invalid_argument);
  }
  EXPECT_NE(weights_error(std::vector<double>{0.9, -0.1})->find("arm 2"), std::string::npos);
  EXPECT_FALSE(weights_error(kPilot).has_value());
}

}  // namespace
}  // namespace tunecase::serve
