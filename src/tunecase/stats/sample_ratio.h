#pragma once

#include <cstddef>
#include <span>

namespace tunecase {

// Sample-ratio mismatch: the split routed a different share of requests to an arm than planned
// (a crashing arm, a bot, a cache in front of one arm, a broken hash). The arms then no longer
// see the same traffic and no accuracy comparison between them can be trusted.
struct SampleRatioCheck {
  double chi_square = 0;
  std::size_t df = 0;     // arms with a positive planned weight, minus one
  double p_value = 1;     // chance of a split at least this uneven if the routing is as planned
  bool mismatch = false;  // p_value < threshold
  // Two planned arms: p_value is the exact binomial test's, not the chi-square's (which, with an
  // expected count of a few requests, as in a 5% arm's first day, blocked healthy pilots at
  // several times the threshold).
  bool exact = false;
};

// The usual threshold: strict, because the check runs on every look and a false alarm stops a
// healthy pilot.
inline constexpr double kSampleRatioThreshold = 0.001;

// Pearson's chi-square goodness of fit of the observed counts per arm against the planned
// weights: X² = Σ (O - E)² / E, E = total · w / Σw, p = Q((k - 1)/2, X²/2) (regularised upper
// incomplete gamma). An arm planned at weight 0 that received requests is a mismatch (p = 0).
// No requests yet: p = 1. With exactly two arms of positive weight, p is the exact two-sided
// binomial test's instead (binomial_two_sided); chi_square is still reported. Throws
// std::invalid_argument when the lengths differ, a weight is negative or not finite, or no
// weight is positive.
SampleRatioCheck sample_ratio_check(std::span<const std::size_t> observed,
                                    std::span<const double> planned_weights,
                                    double threshold = kSampleRatioThreshold);

// The exact two-sided binomial test: P(X with P(X) <= P(k)) for X ~ Binomial(n, p), i.e. the
// chance of a count at most as likely as k (the small-p-values method, as R's binom.test).
// Sums outward from the mode and stops where the terms no longer count, so n in the millions
// costs a few thousand terms. Throws std::invalid_argument unless 0 < p < 1 and k <= n.
double binomial_two_sided(std::size_t k, std::size_t n, double p);

// P(X >= x) for X ~ chi-square with df degrees of freedom: Q(df/2, x/2), by the series for
// x < df/2 + 1 and Lentz's continued fraction above (Numerical Recipes, §6.2).
// Throws std::invalid_argument unless df > 0.
double chi_square_upper_tail(double x, double df);

}  // namespace tunecase
