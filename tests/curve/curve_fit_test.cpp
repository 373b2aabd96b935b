#include <cmath>

#include <gtest/gtest.h>

#include "tunecase/curve/curve_fit.h"

namespace tunecase {
namespace {

std::vector<CurvePoint> sample(double a, double b, double c, double wobble) {
  std::vector<CurvePoint> pts;
  int k = 0;
  for (double n : {50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 4000.0})
    for (int seed = 0; seed < 3; ++seed, ++k)
      pts.push_back({n, a - b * std::pow(n, -c) + wobble * ((k % 3) - 1)});
  return pts;
}

TEST(CurveFit, RecoversKnownParametersFromExactPoints) {
  auto fit = fit_learning_curve(sample(0.92, 1.5, 0.5, 0));
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->a, 0.92, 1e-3);
  EXPECT_NEAR(fit->b, 1.5, 2e-2);
  EXPECT_NEAR(fit->c, 0.5, 1e-2);
  EXPECT_LT(fit->rmse, 1e-4);
}

// A curve that levels off right after its points (c = 2.6, as 3 rows per label gave) is too
// steep to be read as a ceiling; an ordinary one is not.
TEST(CurveFit, ACurveSteeperThanLearningCurvesRunIsFlagged) {
  std::vector<CurvePoint> pts;
  for (double n : {32.0, 64.0, 96.0, 128.0})
    for (int seed = 0; seed < 3; ++seed) pts.push_back({n, 0.387 - 3034 * std::pow(n, -2.568)});
  auto steep = fit_learning_curve(pts);
  ASSERT_TRUE(steep);
  EXPECT_TRUE(steep->too_steep()) << steep->c;
  auto ordinary = fit_learning_curve(sample(0.92, 1.5, 0.5, 0));
  ASSERT_TRUE(ordinary);
  EXPECT_FALSE(ordinary->too_steep());
}

TEST(CurveFit, RecoversParametersThroughSeedNoise) {
  auto fit = fit_learning_curve(sample(0.85, 0.9, 0.4, 0.004));
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->a, 0.85, 0.02);
  EXPECT_NEAR(fit->at(8000), 0.85 - 0.9 * std::pow(8000.0, -0.4), 0.01);
}

TEST(CurveFit, KeepsTheConstraints) {
  // Falling accuracy: the best constrained fit is flat (b = 0), never b < 0.
  auto fit = fit_learning_curve({{50, 0.9}, {100, 0.8}, {200, 0.7}, {400, 0.6}});
  ASSERT_TRUE(fit);
  EXPECT_GE(fit->b, 0);
  EXPECT_GE(fit->a, 0);
  EXPECT_LE(fit->a, 1);
  EXPECT_GT(fit->c, 0);
}

TEST(CurveFit, LabelsForTargetInvertsTheCurveOrSaysUnreachable) {
  CurveFit f{0.9, 2.0, 0.5, 0};
  auto n = f.labels_for(0.85);
  ASSERT_TRUE(n);
  EXPECT_NEAR(f.at(*n), 0.85, 1e-9);
  EXPECT_FALSE(f.labels_for(0.95));
}

TEST(CurveFit, NeedsTwoSizes) {
  EXPECT_FALSE(fit_learning_curve({{100, 0.5}, {100, 0.6}, {100, 0.55}}));
  EXPECT_FALSE(fit_learning_curve({{100, 0.5}, {200, 0.6}}));
}

}  // namespace
}  // namespace tunecase
