#pragma once

#include <memory>
#include <string>

#include "tunecase/approaches/classifier.h"

namespace tunecase {

// True for approaches trained and run locally (linear, fasttext, retrieval).
bool is_local_kind(const std::string& kind);

// Creates an untrained local classifier for `config.kind`; throws UserError for an unknown kind.
// Adding an approach: one new file plus one line here.
std::unique_ptr<Classifier> make_classifier(const ApproachConfig& config);

}  // namespace tunecase
