#pragma once

#include <cstddef>

#include "tunecase/stats/proportion.h"

namespace tunecase {

// Comparison of two independent proportions, e.g. the accuracy of the pilot arm (s1 of n1
// correct) against the control arm (s2 of n2) in a traffic split.
struct TwoProportionResult {
  double diff = 0;            // p1 - p2
  double z = 0;               // pooled z statistic
  double p_value = 1;         // two-sided
  Interval diff_ci95{-1, 1};  // 95% interval for p1 - p2
};

// Two-sided pooled z-test: z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2)), p = (s1+s2)/(n1+n2),
// p_value = erfc(|z| / sqrt 2). The interval is Newcombe's hybrid score interval (method 10,
// built from the two Wilson intervals), which unlike the Wald interval behaves near 0% and 100%
// and on a small pilot arm.
// An empty arm (n1 = 0 or n2 = 0) carries no evidence: diff 0, z 0, p 1, interval [-1, 1].
// When both arms are all right (or all wrong) there is no variance: z 0, p 1.
// Throws std::invalid_argument when s1 > n1 or s2 > n2.
TwoProportionResult two_proportion_test(std::size_t s1, std::size_t n1, std::size_t s2,
                                        std::size_t n2);

}  // namespace tunecase
