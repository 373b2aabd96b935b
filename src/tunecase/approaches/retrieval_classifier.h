#pragma once

#include <memory>

#include "tunecase/approaches/classifier.h"

namespace tunecase {

// k nearest labelled neighbours by BM25, score-weighted vote.
std::unique_ptr<Classifier> make_retrieval_classifier(const ApproachConfig& config);

}  // namespace tunecase
