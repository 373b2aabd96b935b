#pragma once

#include <cstdint>
#include <string>
#include <vector>

// Input-drift detectors on request texts: a reference sample against a current one, before any
// label arrives. Pure functions of the texts (tests feed them data with and without a known
// shift). Each result says what it compared, on how many items, and how sure it is.
namespace tunecase::monitor {

// Share of the current texts' word tokens missing from a vocabulary, against the same share in
// a baseline sample. The vocabulary is the training texts when given; otherwise the first half
// of the reference window, the second half being the baseline (so an unchanged stream shows a
// rise near 0, not the rise that any new sample has against its own vocabulary).
struct OovResult {
  int64_t vocabulary_texts = 0, baseline_tokens = 0, current_tokens = 0;
  double baseline_share = 0, current_share = 0;
  double rise = 0;                // current_share - baseline_share
  double z = 0;                   // two-proportion z of the rise (tokens treated as independent)
  std::string vocabulary_source;  // "training data" | "first half of the reference window"
};
OovResult oov_shift(const std::vector<std::string>& training,
                    const std::vector<std::string>& reference,
                    const std::vector<std::string>& current);

// Mean length in word tokens, and Welch's z of the difference.
struct LengthResult {
  int64_t reference_n = 0, current_n = 0;
  double reference_mean = 0, current_mean = 0;
  double relative_change = 0;  // current / reference - 1
  double z = 0;
};
LengthResult length_shift(const std::vector<std::string>& reference,
                          const std::vector<std::string>& current);

// A domain classifier: logistic regression on hashed word unigrams and bigrams (2^18 buckets,
// binary, L2-normalised), trained by SGD to tell current from reference texts, scored by 5-fold
// cross-validation. AUC 0.5: the windows are indistinguishable; near 1: the inputs changed.
// `z` is (AUC - 0.5) over the AUC's standard error under no difference (Hanley & McNeil 1982:
// sqrt((n1 + n2 + 1) / (12 n1 n2))). Each window is subsampled to at most `max_per_window`
// texts (evenly, deterministically). Deterministic for a seed.
struct DomainResult {
  int64_t reference_n = 0, current_n = 0;
  int folds = 5;
  double auc = 0.5;
  double z = 0;
};
DomainResult domain_classifier(const std::vector<std::string>& reference,
                               const std::vector<std::string>& current,
                               int64_t max_per_window = 2000, uint64_t seed = 7);

// Terms (word unigrams and bigrams) whose share of texts rose most from the reference window to
// the current one. A term is listed when it is in at least 10 current texts and its rise is
// significant (two-proportion z >= 5, chosen so that among the ~10^4 terms of an unchanged
// stream none passes by chance); ranked by the ratio of shares (the reference share smoothed by
// half a text), with up to two example texts each.
struct EmergingTerm {
  std::string term;
  int64_t current = 0, reference = 0;  // texts containing it
  double rise = 0;                     // ratio of shares
  double z = 0;
  std::vector<std::string> examples;  // up to two current texts (first 160 bytes)
};
std::vector<EmergingTerm> emerging_terms(const std::vector<std::string>& reference,
                                         const std::vector<std::string>& current, int limit);

}  // namespace tunecase::monitor
