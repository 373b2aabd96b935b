#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tunecase/approaches/tfidf.h"
#include "tunecase/data/example.h"

namespace tunecase {

// k-fold out-of-fold probabilities of the local linear model: every row is scored by a model
// that did not see it. The TF-IDF matrix is fitted and built once on all rows and shared by the
// k models (each fold is a list of row pointers into it, not a copy): only the liblinear fits
// repeat. Fitting the vocabulary and idf on the held-out rows too is a small, documented
// transduction that leaves their labels unseen.
struct OutOfFoldOptions {
  int folds = 5;
  // L2-regularised logistic regression (liblinear's dual solver), one-vs-rest. C = 3 rather than
  // the linear approach's 1: sharper probabilities found more flipped labels at the same cost
  // on HWU64 with 5% and 10% flips (precision and recall both up 5 points; docs/data-quality.md).
  double C = 3;
  uint64_t seed = 7;   // folds, and liblinear's rand() per fold: the same seed, the same report
  int threads = 2;     // the classes of each fold's one-vs-rest model train in parallel
  TfidfOptions tfidf;  // the linear approach's defaults: word 1-2, char_wb 2-5
  // Per row, a group id (its near-duplicate cluster): a group is held out whole, or a held-out
  // row's copy in training would vouch for its label, wrong or not. Empty: every row alone.
  std::vector<std::size_t> groups;
  // Called after each fold's model has scored its held-out rows: (folds done, folds).
  std::function<void(int, int)> on_fold;
};

struct OutOfFold {
  std::vector<std::string> classes;  // sorted label set of the rows
  std::vector<int> given;            // per row: index of its label in `classes`
  std::vector<int> fold;             // per row: the fold it was held out in
  // Row-major rows x classes: the held-out model's probability of each class (liblinear's
  // one-vs-rest logistic outputs, normalised to sum to 1). A class absent from a fold's training
  // part gets probability 0 in that fold.
  std::vector<float> probabilities;

  std::size_t rows() const { return given.size(); }
  const float* row(std::size_t i) const { return probabilities.data() + i * classes.size(); }
};

// Folds are stratified: each label's rows (groups, with `groups`: by their first row's label) are
// shuffled (std::mt19937_64 seeded by `seed`) and dealt to the folds in turn. Needs at least 2 rows
// and 2 labels; throws UserError otherwise.
OutOfFold out_of_fold_probabilities(const Examples& rows, const OutOfFoldOptions& options);

}  // namespace tunecase
