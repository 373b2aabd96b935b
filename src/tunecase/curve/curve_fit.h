#pragma once

#include <cstdint>
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
  // The asymptote sits at its bound (a = 1): the points show no saturation, so `a` is the
  // constraint talking, not the data, and must not be reported as where the curve levels off.
  bool saturation_visible() const { return a < 1.0 - 1e-6; }
  // Learning curves run with an exponent of about 0.1 to 1. A steeper fit flattens right after
  // the measured sizes (a few rows per label at the smallest): its ceiling and projections
  // understate what more labels bring (one said "saturates at 0.387" where doubling the labels
  // measured 0.578).
  bool too_steep() const { return c > 1.5; }
};

// Least squares over all points: for each c on a log grid over [0.01, 3], the best (a, b) is a
// linear least-squares problem in x = n^(-c) (with the box constraints enforced by checking the
// boundary solutions); the best c is then refined by golden-section search. Needs >= 3 points at
// >= 2 distinct sizes; nullopt otherwise.
std::optional<CurveFit> fit_learning_curve(const std::vector<CurvePoint>& points);

}  // namespace tunecase

namespace tunecase {

// A projection's 95% interval: a bootstrap over the measured points (each a seed at a size,
// drawn with replacement; a draw with fewer than 2 distinct sizes is drawn again), refitted each
// time; the percentile interval of the refitted curves' accuracy at `labels`. It shows how much
// the projection moves with the noise between seeds and sizes, not the error of the curve's
// shape beyond the largest measured size.
struct ProjectionInterval {
  double low = 0, high = 0;
  int draws = 0;  // refits that succeeded
};

std::optional<ProjectionInterval> bootstrap_projection(const std::vector<CurvePoint>& points,
                                                       double labels, int draws = 200,
                                                       uint64_t seed = 7);

}  // namespace tunecase
