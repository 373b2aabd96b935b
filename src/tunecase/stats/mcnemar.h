#pragma once

#include <cstddef>
#include <vector>

namespace tunecase {

// Paired comparison of two approaches scored on the same test rows.
struct McNemarResult {
  std::size_t a_only_correct = 0;  // rows A got right and B got wrong
  std::size_t b_only_correct = 0;  // rows B got right and A got wrong
  double p_value = 1;              // two-sided; 1 when the approaches never disagree
};

// McNemar's exact test: only the discordant rows carry information, and under "A and B are
// equally accurate" each of them is A's with probability 1/2.
// p = min(1, 2 · P(X <= min(b, c))), X ~ Binomial(b + c, 1/2); summed in log space so that
// b + c in the millions neither underflows nor overflows.
// Throws std::invalid_argument when the two vectors differ in length.
McNemarResult mcnemar_exact(const std::vector<bool>& a_correct, const std::vector<bool>& b_correct);

// The same test from the two discordant counts alone.
double mcnemar_exact_p(std::size_t a_only_correct, std::size_t b_only_correct);

}  // namespace tunecase
