#include "tunecase/stats/sample_ratio.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace tunecase {
namespace {

constexpr double kEpsilon = 1e-15;
constexpr int kMaxIterations = 1000;

// P(a, x) by its series: e^-x x^a / Gamma(a + 1) · Σ x^k / ((a + 1)...(a + k)).
double lower_gamma_series(double a, double x) {
  double term = 1 / a, sum = term;
  for (int k = 1; k < kMaxIterations; ++k) {
    term *= x / (a + k);
    sum += term;
    if (std::abs(term) < std::abs(sum) * kEpsilon) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Q(a, x) by the continued fraction for the upper incomplete gamma (modified Lentz).
double upper_gamma_fraction(double a, double x) {
  const double tiny = std::numeric_limits<double>::min() / kEpsilon;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < kMaxIterations; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const double step = d * c;
    h *= step;
    if (std::abs(step - 1) < kEpsilon) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

}  // namespace

double chi_square_upper_tail(double x, double df) {
  if (!(df > 0)) throw std::invalid_argument("chi_square_upper_tail: df must be positive");
  if (!(x > 0)) return 1;
  const double a = df / 2, half = x / 2;
  if (half < a + 1) return 1 - lower_gamma_series(a, half);
  return upper_gamma_fraction(a, half);
}

SampleRatioCheck sample_ratio_check(std::span<const std::size_t> observed,
                                    std::span<const double> weights, double threshold) {
  if (observed.size() != weights.size())
    throw std::invalid_argument("sample_ratio_check: one planned weight per arm is needed");
  double weight_sum = 0, total = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!std::isfinite(weights[i]) || weights[i] < 0)
      throw std::invalid_argument("sample_ratio_check: weights must be finite and non-negative");
    weight_sum += weights[i];
    total += static_cast<double>(observed[i]);
  }
  if (!(weight_sum > 0))
    throw std::invalid_argument("sample_ratio_check: at least one weight must be positive");
  SampleRatioCheck r;
  if (total == 0) return r;
  std::size_t planned_arms = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double o = static_cast<double>(observed[i]);
    if (weights[i] == 0) {
      if (o > 0) r.chi_square = std::numeric_limits<double>::infinity();
      continue;
    }
    ++planned_arms;
    const double expected = total * weights[i] / weight_sum;
    r.chi_square += (o - expected) * (o - expected) / expected;
  }
  r.df = planned_arms - 1;
  if (std::isinf(r.chi_square)) {
    r.p_value = 0;
  } else if (r.df > 0) {
    r.p_value = chi_square_upper_tail(r.chi_square, static_cast<double>(r.df));
  }
  r.mismatch = r.p_value < threshold;
  return r;
}

}  // namespace tunecase
