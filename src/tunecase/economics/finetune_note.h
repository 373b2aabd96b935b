#pragma once

#include <string>
#include <vector>

#include "tunecase/economics/inputs.h"

namespace tunecase::econ {

// The memo's fine-tuning paragraph (docs/finetune.md): per fine-tuned approach with a
// `tunecase finetune` record, what it was trained on, what the training cost and what it scored;
// and, for each base model fine-tuned on a subset and on more of the train split, what the
// subset run predicted about the larger one ("subset first", the decision framework's advice).
// Empty when no approach has a record.
std::vector<std::string> finetune_lines(const Scenario& scenario);

}  // namespace tunecase::econ
