#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

// Comparisons of a reference sample with a current one, for drift detectors that need no
// ground truth (the monitor's prediction mix and input checks).
namespace tunecase {

// Population stability index over categories: sum over c of (q_c - p_c) * ln(q_c / p_c), p the
// reference shares and q the current ones. A category missing on one side gets half a count
// (additive smoothing), so a new label gives a large but finite figure. Conventional reading:
// < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 a shift to act on. 0 when either side is empty.
double population_stability_index(const std::map<std::string, int64_t>& reference,
                                  const std::map<std::string, int64_t>& current);

// Pearson's chi-square test of homogeneity on the 2 x k table (reference, current) x categories:
// do the two samples come from one distribution? Categories empty on both sides are dropped.
struct ChiSquareResult {
  double statistic = 0;
  int df = 0;
  double p_value = 1;
};
ChiSquareResult chi_square_homogeneity(const std::map<std::string, int64_t>& reference,
                                       const std::map<std::string, int64_t>& current);

// Area under the ROC curve of scores for positives vs negatives (the Mann-Whitney U statistic
// divided by n_pos * n_neg, ties counted half). 0.5 when either side is empty.
double roc_auc(const std::vector<double>& positive_scores,
               const std::vector<double>& negative_scores);

}  // namespace tunecase
