#pragma once

#include <memory>
#include <string>

#include "tunecase/approaches/classifier.h"
#include "tunecase/config/approach_kinds.h"

namespace tunecase {

// Creates an untrained local classifier for `config.kind` (a local kind of approach_kinds());
// throws UserError for an LLM kind, which the runner serves instead.
// Adding a local approach: one new file plus one line here and one in approach_kinds.cpp.
std::unique_ptr<Classifier> make_classifier(const ApproachConfig& config);

}  // namespace tunecase
