#include "tunecase/stats/two_proportion.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tunecase {
namespace {

// Newcombe (1998) method 10: diff ∓ sqrt((p1 - l1)² + (u2 - p2)²) and
// diff + sqrt((u1 - p1)² + (p2 - l2)²), with [l, u] the Wilson intervals of each arm.
Interval newcombe_interval(double p1, Interval w1, double p2, Interval w2) {
  const double diff = p1 - p2;
  const double down = std::hypot(p1 - w1.lo, w2.hi - p2);
  const double up = std::hypot(w1.hi - p1, p2 - w2.lo);
  return {std::max(-1.0, diff - down), std::min(1.0, diff + up)};
}

}  // namespace

TwoProportionResult two_proportion_test(std::size_t s1, std::size_t n1, std::size_t s2,
                                        std::size_t n2) {
  if (s1 > n1 || s2 > n2) throw std::invalid_argument("two_proportion_test: successes > n");
  TwoProportionResult r;
  if (n1 == 0 || n2 == 0) return r;
  const double p1 = static_cast<double>(s1) / static_cast<double>(n1);
  const double p2 = static_cast<double>(s2) / static_cast<double>(n2);
  const double pooled = static_cast<double>(s1 + s2) / static_cast<double>(n1 + n2);
  const double se = std::sqrt(pooled * (1 - pooled) *
                              (1 / static_cast<double>(n1) + 1 / static_cast<double>(n2)));
  r.diff = p1 - p2;
  if (se > 0) {
    r.z = r.diff / se;
    r.p_value = std::erfc(std::abs(r.z) / std::sqrt(2.0));
  }
  r.diff_ci95 = newcombe_interval(p1, wilson_interval(s1, n1), p2, wilson_interval(s2, n2));
  return r;
}

Interval paired_difference_interval(std::size_t both_right, std::size_t first_only,
                                    std::size_t second_only, std::size_t both_wrong) {
  const std::size_t n = both_right + first_only + second_only + both_wrong;
  if (n == 0) return {-1, 1};
  const double a = static_cast<double>(both_right), b = static_cast<double>(first_only),
               c = static_cast<double>(second_only), d = static_cast<double>(both_wrong);
  const double nn = static_cast<double>(n);
  const double p1 = (a + b) / nn, p2 = (a + c) / nn;
  const Interval w1 = wilson_interval(both_right + first_only, n);
  const Interval w2 = wilson_interval(both_right + second_only, n);
  // The correlation of the pairs (phi), with Newcombe's continuity correction: a positive
  // AD - BC loses n/2, down to 0 (the uncorrected phi had made the interval narrower than the
  // method's); 0 when a margin is empty (no variance to correlate).
  const double margins = (a + b) * (c + d) * (a + c) * (b + d);
  const double cross = a * d - b * c;
  const double corrected = cross > nn / 2 ? cross - nn / 2 : (cross < 0 ? cross : 0.0);
  const double phi = margins > 0 ? corrected / std::sqrt(margins) : 0.0;
  const double l1 = p1 - w1.lo, u1 = w1.hi - p1, l2 = p2 - w2.lo, u2 = w2.hi - p2;
  const double down = std::sqrt(std::max(0.0, l1 * l1 - 2 * phi * l1 * u2 + u2 * u2));
  const double up = std::sqrt(std::max(0.0, u1 * u1 - 2 * phi * u1 * l2 + l2 * l2));
  const double diff = p1 - p2;
  return {std::max(-1.0, diff - down), std::min(1.0, diff + up)};
}

}  // namespace tunecase
