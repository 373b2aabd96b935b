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

}  // namespace tunecase
