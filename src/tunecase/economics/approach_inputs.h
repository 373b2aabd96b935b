#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/economics/inputs.h"

namespace tunecase::econ {

// Reads one approach's cost lines from its [[approach]] table and, when `measured` is its
// eval.json entry, its measured accuracy, price and throughput. Without `measured` (scenario
// mode) the table must give accuracy or harmful_error_rate.
ApproachInputs read_approach(const ApproachConfig& config, const nlohmann::json* measured,
                             const BusinessInputs& business, const std::string& origin);

// True when a fine-tuned or self-hosted approach (it has to be trained and run by the team),
// false for prompting an API. `trained = true|false` in the table overrides the guess.
bool is_trained(const ApproachConfig& config);

}  // namespace tunecase::econ
