#include "tunecase/stats/confidence_sequence.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tunecase {
namespace {

void check(const SequenceOptions& o) {
  if (!(o.alpha > 0 && o.alpha < 1))
    throw std::invalid_argument("confidence sequence: alpha must be in (0, 1)");
  if (!(o.planned_n > 0))
    throw std::invalid_argument("confidence sequence: planned_n must be positive");
}

Interval around(double centre, double se, double fraction, double alpha) {
  const double half = se * mixture_multiplier(fraction, alpha);
  return {std::max(-1.0, centre - half), std::min(1.0, centre + half)};
}

// Variance of one Bernoulli outcome with one added success and one added failure.
double adjusted_variance(std::size_t s, std::size_t n) {
  const double p = (static_cast<double>(s) + 1) / (static_cast<double>(n) + 2);
  return p * (1 - p);
}

}  // namespace

double mixture_multiplier(double f, double alpha) {
  if (!(alpha > 0 && alpha < 1))
    throw std::invalid_argument("mixture_multiplier: alpha must be in (0, 1)");
  if (!(f > 0)) throw std::invalid_argument("mixture_multiplier: the fraction must be positive");
  // Robbins' normal mixture with its precision chosen so the boundary is tightest at f = 1.
  const double c = -2 * std::log(alpha) + std::log(1 - 2 * std::log(alpha));
  const double cf = c * f;
  return std::sqrt((1 + cf) / cf * std::log((1 + cf) / (alpha * alpha)));
}

Interval difference_sequence(std::size_t s1, std::size_t n1, std::size_t s2, std::size_t n2,
                             const SequenceOptions& o) {
  if (s1 > n1 || s2 > n2) throw std::invalid_argument("difference_sequence: successes > n");
  check(o);
  if (n1 == 0 || n2 == 0) return {-1, 1};
  const double m1 = static_cast<double>(n1), m2 = static_cast<double>(n2);
  const double diff = static_cast<double>(s1) / m1 - static_cast<double>(s2) / m2;
  const double se = std::sqrt(adjusted_variance(s1, n1) / m1 + adjusted_variance(s2, n2) / m2);
  const double fraction = static_cast<double>(std::min(n1, n2)) / o.planned_n;
  return around(diff, se, fraction, o.alpha);
}

Interval paired_difference_sequence(std::size_t pairs, std::size_t first_only,
                                    std::size_t second_only, const SequenceOptions& o) {
  if (first_only + second_only > pairs)
    throw std::invalid_argument("paired_difference_sequence: more discordant pairs than pairs");
  check(o);
  if (pairs == 0) return {-1, 1};
  const double n = static_cast<double>(pairs);
  const double a = static_cast<double>(first_only), b = static_cast<double>(second_only);
  const double shrunk = (a - b) / (n + 2);
  const double variance = (a + b + 1) / (n + 2) - shrunk * shrunk;
  return around((a - b) / n, std::sqrt(variance / n), n / o.planned_n, o.alpha);
}

}  // namespace tunecase
