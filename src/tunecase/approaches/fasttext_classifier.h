#pragma once

#include <memory>

#include "tunecase/approaches/classifier.h"

namespace tunecase {

// A supervised fastText model (libfasttext), optionally autotuned on dev.
std::unique_ptr<Classifier> make_fasttext_classifier(const ApproachConfig& config);

}  // namespace tunecase
