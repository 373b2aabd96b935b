#include "tunecase/stats/mcnemar.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tunecase {
namespace {

// log P(X <= k) for X ~ Binomial(n, 1/2), k <= n/2.
// The terms C(n,i)/2^n grow with i up to n/2, so the sum is accumulated downwards from the
// largest term (i = k) as multiples of it, and stops once a term can no longer change the sum.
double log_binomial_half_cdf(std::size_t n, std::size_t k) {
  const double nn = static_cast<double>(n);
  const double kk = static_cast<double>(k);
  const double log_top =
      std::lgamma(nn + 1) - std::lgamma(kk + 1) - std::lgamma(nn - kk + 1) - nn * std::log(2.0);
  double sum = 1;   // term(k) / term(k)
  double term = 1;  // term(i) / term(k)
  for (std::size_t i = k; i > 0; --i) {
    // C(n, i-1) / C(n, i) = i / (n - i + 1)
    term *= static_cast<double>(i) / (nn - static_cast<double>(i) + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return log_top + std::log(sum);
}

}  // namespace

double mcnemar_exact_p(std::size_t a_only_correct, std::size_t b_only_correct) {
  const std::size_t n = a_only_correct + b_only_correct;
  if (n == 0) return 1;
  const std::size_t k = std::min(a_only_correct, b_only_correct);
  const double p = 2 * std::exp(log_binomial_half_cdf(n, k));
  return std::min(1.0, p);
}

McNemarResult mcnemar_exact(const std::vector<bool>& a_correct,
                            const std::vector<bool>& b_correct) {
  if (a_correct.size() != b_correct.size())
    throw std::invalid_argument("mcnemar_exact: the two approaches were scored on different rows");
  McNemarResult result;
  for (std::size_t i = 0; i < a_correct.size(); ++i) {
    if (a_correct[i] && !b_correct[i]) ++result.a_only_correct;
    if (!a_correct[i] && b_correct[i]) ++result.b_only_correct;
  }
  result.p_value = mcnemar_exact_p(result.a_only_correct, result.b_only_correct);
  return result;
}

}  // namespace tunecase
