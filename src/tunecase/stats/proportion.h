#pragma once

#include <cstddef>

namespace tunecase {

// A closed interval [lo, hi], e.g. a 95% confidence interval.
struct Interval {
  double lo = 0, hi = 0;
};

// Two-sided 95% normal quantile, the default z of every interval in tunecase.
inline constexpr double kZ95 = 1.959963984540054;

// Confidence interval for a proportion successes / n (e.g. accuracy on a test set).
// Wilson rather than the textbook Wald interval because it stays inside [0, 1] and keeps its
// coverage at 0% / 100% and on the small samples of a pilot. n = 0 gives the uninformative {0, 1}.
// Throws std::invalid_argument when successes > n.
Interval wilson_interval(std::size_t successes, std::size_t n, double z = kZ95);

// The exact (Clopper-Pearson) 95% interval for successes / n: each end the proportion at which
// the count, or one further out, has 2.5% probability. It excludes p exactly where the exact
// two-sided test that doubles the smaller tail rejects p at 5% (McNemar's exact test on the
// discordant items, at p = 1/2). n = 0 gives {0, 1}. Throws std::invalid_argument when
// successes > n.
Interval clopper_pearson_interval(std::size_t successes, std::size_t n);

}  // namespace tunecase
