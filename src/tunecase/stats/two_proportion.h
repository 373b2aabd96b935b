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

// 95% interval for p1 - p2 on paired items (both answers of every item: a shadow pilot), from the
// 2x2 table: both right, only the first right, only the second right, both wrong. Newcombe's
// paired score interval (1998, method 10): the two Wilson intervals combined with the
// correlation of the pairs (phi, continuity-corrected as Newcombe gives it), so it is narrower than
// the unpaired interval when the two answers agree, as two classifiers of one item mostly do. No
// pair: [-1, 1].
Interval paired_difference_interval(std::size_t both_right, std::size_t first_only,
                                    std::size_t second_only, std::size_t both_wrong);

}  // namespace tunecase
