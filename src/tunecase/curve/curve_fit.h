#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tunecase {

struct CurvePoint {
  double labels = 0;    // n, the number of training labels
  double accuracy = 0;  // measured at n
};

// acc(n) = a - b * n^(-c), with 0 <= a <= 1, b >= 0, c > 0: a is where the curve saturates.
struct CurveFit {
  double a = 0, b = 0, c = 0;
  double rmse = 0;  // root mean squared residual over the points
  double at(double labels) const;
  // Labels needed to reach `target`: (b / (a - target))^(1/c); nullopt when target >= a.
  std::optional<double> labels_for(double target) const;
};

// Least squares over all points: for each c on a log grid over [0.01, 3], the best (a, b) is a
// linear least-squares problem in x = n^(-c) (with the box constraints enforced by checking the
// boundary solutions); the best c is then refined by golden-section search. Needs >= 3 points at
// >= 2 distinct sizes; nullopt otherwise.
std::optional<CurveFit> fit_learning_curve(const std::vector<CurvePoint>& points);

}  // namespace tunecase
