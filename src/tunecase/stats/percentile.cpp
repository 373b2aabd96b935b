#include "tunecase/stats/percentile.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tunecase {

double percentile_nearest_rank(std::vector<double> values, double p) {
  if (!(p > 0 && p <= 100))
    throw std::invalid_argument("percentile_nearest_rank: p must be in (0, 100]");
  std::erase_if(values, [](double v) { return std::isnan(v); });
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  // Nearest rank: ceil(p/100 * N), computed as p*N/100 so that whole-number ranks stay exact.
  const double n = static_cast<double>(values.size());
  auto rank = static_cast<std::size_t>(std::ceil(p * n / 100));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  auto nth = values.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(values.begin(), nth, values.end());
  return *nth;
}

}  // namespace tunecase
