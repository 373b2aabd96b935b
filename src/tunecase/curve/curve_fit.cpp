#include "tunecase/curve/curve_fit.h"

#include <random>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace tunecase {
namespace {

struct Linear {
  double a = 0, b = 0, sse = std::numeric_limits<double>::infinity();
};

double sse_of(const std::vector<CurvePoint>& pts, const std::vector<double>& x, double a,
              double b) {
  double s = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    double r = pts[i].accuracy - (a - b * x[i]);
    s += r * r;
  }
  return s;
}

// min over 0 <= a <= 1, b >= 0 of sum (y - a + b x)^2. The objective is convex, so the optimum
// is the unconstrained one when feasible, else on a boundary: b = 0, a = 0 or a = 1, each a
// one-variable least-squares problem clamped to its range.
Linear fit_ab(const std::vector<CurvePoint>& pts, const std::vector<double>& x) {
  double n = static_cast<double>(pts.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    sx += x[i], sy += pts[i].accuracy, sxx += x[i] * x[i], sxy += x[i] * pts[i].accuracy;
  }
  std::vector<std::pair<double, double>> tries;
  double det = n * sxx - sx * sx;
  if (std::abs(det) > 1e-15) {
    double slope = (n * sxy - sx * sy) / det;  // y = a + slope x, so b = -slope
    tries.push_back({(sy - slope * sx) / n, -slope});
  }
  tries.push_back({std::clamp(sy / n, 0.0, 1.0), 0.0});
  for (double a : {0.0, 1.0})
    if (sxx > 0) tries.push_back({a, std::max(0.0, (a * sx - sxy) / sxx)});
  Linear best;
  for (auto [a, b] : tries) {
    if (a < 0 || a > 1 || b < 0) continue;
    double s = sse_of(pts, x, a, b);
    if (s < best.sse) best = {a, b, s};
  }
  return best;
}

Linear fit_at(const std::vector<CurvePoint>& pts, double c) {
  std::vector<double> x;
  for (const auto& p : pts) x.push_back(std::pow(p.labels, -c));
  return fit_ab(pts, x);
}

}  // namespace

double CurveFit::at(double labels) const {
  return a - b * std::pow(labels, -c);
}

std::optional<double> CurveFit::labels_for(double target) const {
  if (target >= a || b <= 0) return std::nullopt;
  return std::pow(b / (a - target), 1.0 / c);
}

std::optional<CurveFit> fit_learning_curve(const std::vector<CurvePoint>& points) {
  std::set<double> sizes;
  for (const auto& p : points) sizes.insert(p.labels);
  if (points.size() < 3 || sizes.size() < 2 || *sizes.begin() <= 0) return std::nullopt;
  // Grid over c (log spaced), then golden-section refinement around the best grid point.
  constexpr int kGrid = 120;
  double lo_c = 0.01, hi_c = 3.0, best_c = lo_c;
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i <= kGrid; ++i) {
    double c = lo_c * std::pow(hi_c / lo_c, static_cast<double>(i) / kGrid);
    double s = fit_at(points, c).sse;
    if (s < best) best = s, best_c = c;
  }
  double step = std::pow(hi_c / lo_c, 1.0 / kGrid);
  double l = best_c / step, h = best_c * step;
  const double phi = (std::sqrt(5.0) - 1) / 2;
  for (int i = 0; i < 60; ++i) {
    double m1 = h - phi * (h - l), m2 = l + phi * (h - l);
    if (fit_at(points, m1).sse < fit_at(points, m2).sse)
      h = m2;
    else
      l = m1;
  }
  double c = (l + h) / 2;
  Linear ab = fit_at(points, c);
  if (ab.sse > best) c = best_c, ab = fit_at(points, c);
  return CurveFit{ab.a, ab.b, c, std::sqrt(ab.sse / static_cast<double>(points.size()))};
}

}  // namespace tunecase

namespace tunecase {

std::optional<ProjectionInterval> bootstrap_projection(const std::vector<CurvePoint>& points,
                                                       double labels, int draws, uint64_t seed) {
  if (points.size() < 3) return std::nullopt;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, points.size() - 1);
  std::vector<double> projected;
  std::vector<CurvePoint> sample(points.size());
  for (int d = 0, attempts = 0; d < draws && attempts < 10 * draws; ++attempts) {
    for (auto& p : sample) p = points[pick(rng)];
    bool two_sizes = false;
    for (const auto& p : sample) two_sizes = two_sizes || p.labels != sample.front().labels;
    if (!two_sizes) continue;
    auto fit = fit_learning_curve(sample);
    if (!fit) continue;
    projected.push_back(fit->at(labels));
    ++d;
  }
  if (projected.size() < 20) return std::nullopt;
  std::sort(projected.begin(), projected.end());
  auto at = [&](double q) {
    auto i = static_cast<std::size_t>(q * static_cast<double>(projected.size() - 1) + 0.5);
    return projected[i];
  };
  return ProjectionInterval{at(0.025), at(0.975), static_cast<int>(projected.size())};
}

}  // namespace tunecase
