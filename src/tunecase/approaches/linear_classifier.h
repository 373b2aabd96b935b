#pragma once

#include <memory>
#include <string>

#include "tunecase/approaches/classifier.h"
#include "tunecase/approaches/tfidf.h"

namespace tunecase {

// The hyper-parameters of the `linear` approach, read from its [[approach]] table.
struct LinearOptions {
  std::string model =
      "svm";              // "svm": L2-loss linear SVM (LinearSVC); "logreg": logistic regression
  double C = 1;           // inverse regularisation strength
  bool search_c = false;  // pick C from kLinearCGrid by dev accuracy (ties: smaller C)
  int threads = 2;        // one-vs-rest classes trained in parallel
  TfidfOptions tfidf;     // word_ngrams, char_ngrams, min_df
};

// The values of C tried when search_c is on.
inline constexpr double kLinearCGrid[] = {0.1, 0.3, 1, 3, 10};

// The options of the approach's typed settings (validated when the config was read).
LinearOptions linear_options(const ApproachConfig& config);

// TF-IDF over word and character n-grams into a liblinear SVM or logistic regression.
std::unique_ptr<Classifier> make_linear_classifier(const ApproachConfig& config);

}  // namespace tunecase
