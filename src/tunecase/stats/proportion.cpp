#include "tunecase/stats/proportion.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tunecase {

Interval wilson_interval(std::size_t successes, std::size_t n, double z) {
  if (successes > n) throw std::invalid_argument("wilson_interval: successes > n");
  if (n == 0) return {0, 1};
  // Wilson score interval: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n).
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double z2 = z * z;
  const double denom = 1 + z2 / nn;
  const double centre = (p + z2 / (2 * nn)) / denom;
  const double half = z / denom * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  // Rounding can put an end a hair outside [0, 1] (or past p) at 0% and 100%.
  return {std::clamp(centre - half, 0.0, p), std::clamp(centre + half, p, 1.0)};
}

namespace {

// P(X >= k) for X ~ Binomial(n, p), summed in log space from the largest term.
double upper_tail(std::size_t k, std::size_t n, double p) {
  if (k == 0) return 1;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const double nn = static_cast<double>(n), lp = std::log(p), lq = std::log1p(-p);
  auto log_pmf = [&](std::size_t i) {
    const double x = static_cast<double>(i);
    return std::lgamma(nn + 1) - std::lgamma(x + 1) - std::lgamma(nn - x + 1) + x * lp +
           (nn - x) * lq;
  };
  double top = -INFINITY;
  for (std::size_t i = k; i <= n; ++i) top = std::max(top, log_pmf(i));
  double sum = 0;
  for (std::size_t i = k; i <= n; ++i) sum += std::exp(log_pmf(i) - top);
  return std::min(1.0, std::exp(top) * sum);
}

// The p in [0, 1] at which `tail(p)`, increasing in p, equals `target` (bisection).
template <typename Tail>
double solve_increasing(Tail tail, double target) {
  double lo = 0, hi = 1;
  for (int step = 0; step < 60; ++step) {
    const double mid = (lo + hi) / 2;
    (tail(mid) < target ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

Interval clopper_pearson_interval(std::size_t successes, std::size_t n) {
  if (successes > n) throw std::invalid_argument("clopper_pearson_interval: successes > n");
  if (n == 0) return {0, 1};
  constexpr double kTail = 0.025;
  // Lower end: P(X >= successes | p) = 2.5%; upper end: P(X <= successes | p) = 2.5%, that is
  // P(X >= successes + 1 | p) = 97.5%.
  const double lo =
      successes == 0
          ? 0.0
          : solve_increasing([&](double p) { return upper_tail(successes, n, p); }, kTail);
  const double hi =
      successes == n
          ? 1.0
          : solve_increasing([&](double p) { return upper_tail(successes + 1, n, p); }, 1 - kTail);
  return {lo, hi};
}

}  // namespace tunecase
