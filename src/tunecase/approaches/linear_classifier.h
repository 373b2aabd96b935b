#pragma once

#include <memory>

#include "tunecase/approaches/classifier.h"

namespace tunecase {

// TF-IDF over word and character n-grams into a liblinear SVM or logistic regression.
std::unique_ptr<Classifier> make_linear_classifier(const ApproachConfig& config);

}  // namespace tunecase
