#include "tunecase/stats/sample_ratio.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
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

// log P(X = k) for X ~ Binomial(n, p).
double log_binomial_pmf(double k, double n, double p) {
  return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1) + k * std::log(p) +
         (n - k) * std::log1p(-p);
}

}  // namespace

double binomial_two_sided(std::size_t k, std::size_t n, double p) {
  if (!(p > 0 && p < 1) || k > n)
    throw std::invalid_argument("binomial_two_sided: needs 0 < p < 1 and k <= n");
  const double nn = static_cast<double>(n);
  const double observed = log_binomial_pmf(static_cast<double>(k), nn, p);
  // Relative tolerance, as R's binom.test: counts as likely as k up to rounding are included.
  const double cut = observed + std::log1p(1e-7);
  const auto last = static_cast<std::ptrdiff_t>(n);
  const auto mode = static_cast<std::ptrdiff_t>(std::min(nn, std::floor((nn + 1) * p)));
  auto unlikely = [&](std::ptrdiff_t i) {
    return log_binomial_pmf(static_cast<double>(i), nn, p) <= cut;
  };
  // The pmf rises to the mode and falls after it: the counts at most as likely as k are two
  // tails, whose inner ends a binary search finds.
  std::ptrdiff_t lo = -1, hi = mode;  // the left tail ends at the last unlikely i <= mode
  while (lo < hi) {
    std::ptrdiff_t mid = lo + (hi - lo + 1) / 2;
    if (unlikely(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  const std::ptrdiff_t left_end = lo;
  lo = mode + 1;
  hi = last + 1;  // the right tail starts at the first unlikely i > mode
  while (lo < hi) {
    std::ptrdiff_t mid = lo + (hi - lo) / 2;
    if (unlikely(mid))
      hi = mid;
    else
      lo = mid + 1;
  }
  const std::ptrdiff_t right_start = lo;
  // Each tail summed from its inner end outward, until its terms stop counting.
  auto tail = [&](std::ptrdiff_t from, std::ptrdiff_t step) {
    double sum = 0;
    for (std::ptrdiff_t i = from; i >= 0 && i <= last; i += step) {
      double term = std::exp(log_binomial_pmf(static_cast<double>(i), nn, p));
      sum += term;
      if (term == 0 || term < sum * 1e-17) break;
    }
    return sum;
  };
  return std::min(1.0, tail(left_end, -1) + tail(right_start, +1));
}

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
  } else if (r.df == 1 && weights.size() == 2) {
    r.exact = true;
    r.p_value =
        binomial_two_sided(observed[1], static_cast<std::size_t>(total), weights[1] / weight_sum);
  } else if (r.df > 0) {
    r.p_value = chi_square_upper_tail(r.chi_square, static_cast<double>(r.df));
  }
  r.mismatch = r.p_value < threshold;
  return r;
}

}  // namespace tunecase
