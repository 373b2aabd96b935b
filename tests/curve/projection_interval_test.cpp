#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "tunecase/curve/curve_fit.h"

namespace tunecase {
namespace {

// Three seeds at six sizes of acc(n) = a - b n^-c, with seeded noise of `sd` per point.
std::vector<CurvePoint> noisy_curve(double a, double b, double c, double sd, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, sd);
  std::vector<CurvePoint> points;
  for (double n : {50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0})
    for (int s = 0; s < 3; ++s) points.push_back({n, a - b * std::pow(n, -c) + noise(rng)});
  return points;
}

TEST(ProjectionInterval, CoversTheTrueCurveAtTwiceTheLargestSize) {
  int covered = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto points = noisy_curve(0.9, 2.0, 0.5, 0.01, seed);
    auto fit = fit_learning_curve(points);
    ASSERT_TRUE(fit.has_value());
    auto ci = bootstrap_projection(points, 5000, 200, seed);
    ASSERT_TRUE(ci.has_value());
    EXPECT_LE(ci->low, fit->at(5000) + 1e-9);
    EXPECT_GE(ci->high, fit->at(5000) - 1e-9);
    double truth = 0.9 - 2.0 * std::pow(5000.0, -0.5);
    covered += ci->low <= truth && truth <= ci->high;
  }
  EXPECT_GE(covered, 16) << "a 95% interval should cover the truth in most of 20 draws";
}

TEST(ProjectionInterval, IsWiderWhenTheSeedsDisagreeMore) {
  auto quiet = bootstrap_projection(noisy_curve(0.9, 2.0, 0.5, 0.005, 3), 5000);
  auto loud = bootstrap_projection(noisy_curve(0.9, 2.0, 0.5, 0.03, 3), 5000);
  ASSERT_TRUE(quiet && loud);
  EXPECT_LT(quiet->high - quiet->low, loud->high - loud->low);
}

TEST(ProjectionInterval, NeedsThreePoints) {
  EXPECT_FALSE(bootstrap_projection({{50, 0.5}, {100, 0.6}}, 200).has_value());
}

TEST(Saturation, AsymptoteAtItsBoundIsNotCalledSaturation) {
  // Accuracy still climbing by a constant step per doubling: the fit's a runs to its bound, 1.
  std::vector<CurvePoint> climbing;
  for (double n : {50.0, 100.0, 200.0, 400.0, 800.0, 1600.0})
    climbing.push_back({n, 0.40 + 0.06 * std::log2(n / 50.0)});
  auto fit = fit_learning_curve(climbing);
  ASSERT_TRUE(fit.has_value());
  EXPECT_FALSE(fit->saturation_visible()) << "a = " << fit->a;

  auto levelling = fit_learning_curve(noisy_curve(0.85, 3.0, 0.7, 0.0, 1));
  ASSERT_TRUE(levelling.has_value());
  EXPECT_TRUE(levelling->saturation_visible());
  EXPECT_NEAR(levelling->a, 0.85, 0.01);
}

}  // namespace
}  // namespace tunecase
