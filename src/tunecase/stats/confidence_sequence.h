#pragma once

#include <cstddef>

#include "tunecase/stats/proportion.h"

namespace tunecase {

// Always-valid ("anytime-valid") intervals for the accuracy difference of a live pilot, for a
// team that looks every day and stops when the answer is clear.
//
// Method: the asymptotic confidence sequence of Waudby-Smith, Arnold, Wu, Howard & Ramdas
// (2024, Ann. Statist., "Time-uniform central limit theory and asymptotic confidence sequences"):
// Robbins' two-sided normal-mixture boundary (Howard, Ramdas, McAuliffe & Sekhon 2021) applied to
// the difference estimate in information time, with the variance estimated from the counts.
//   half-width = se · sqrt((1 + c·f) / (c·f) · ln((1 + c·f) / alpha²)),
//   c = -2 ln alpha + ln(1 - 2 ln alpha),
// where se is the estimate's standard error and f = n / planned_n the share of the planned sample
// in (the mixture is tuned to be tightest at f = 1; at alpha 0.05 it is 1.55x the fixed-sample
// 95% half-width there, and wider before).
// Why this one: it needs only the counts (the store keeps counts, not the order of arrival), it
// covers split and shadow pilots with one formula, and it is as tight as any sequence that holds
// at every look. What a caller may rely on: with i.i.d. outcomes within each arm (split) or
// i.i.d. pairs (shadow), the chance that the sequence *ever* excludes the true difference, over
// all looks at any times, tends to at most alpha as the sample grows; the guarantee is
// asymptotic, so the variance uses one added success and failure per arm (Agresti-Caffo) to stay
// honest on the first few days, and bench/pilot_sequential_driver measures the real rate.
struct SequenceOptions {
  double alpha = 0.05;      // chance of ever missing the true difference, over every look
  double planned_n = 1000;  // labelled items per arm (split) or pairs (shadow) planned
};

// The multiplier of the standard error above, for a fraction f > 0 of the planned sample.
// Throws std::invalid_argument unless 0 < alpha < 1 and f > 0.
double mixture_multiplier(double fraction_of_plan, double alpha);

// Split mode: p1 - p2 for independent arms (s1 of n1 correct against s2 of n2), with
// se² = p̃1(1-p̃1)/n1 + p̃2(1-p̃2)/n2, p̃ = (s+1)/(n+2), and f = min(n1, n2) / planned_n.
// An empty arm gives [-1, 1]. Throws std::invalid_argument when s > n, alpha is outside (0, 1)
// or planned_n <= 0.
Interval difference_sequence(std::size_t s1, std::size_t n1, std::size_t s2, std::size_t n2,
                             const SequenceOptions& options = {});

// Shadow mode: both approaches on the same labelled items; first - second accuracy from the
// discordant pairs, d = (first_only - second_only) / pairs, with
// se² = ((first_only + second_only + 1) / (pairs + 2) - d̃²) / pairs, d̃ = d·pairs/(pairs + 2),
// and f = pairs / planned_n. No pairs gives [-1, 1]. Throws std::invalid_argument when the
// discordant counts exceed the pairs, or on bad options as above.
Interval paired_difference_sequence(std::size_t pairs, std::size_t first_only,
                                    std::size_t second_only, const SequenceOptions& options = {});

}  // namespace tunecase
