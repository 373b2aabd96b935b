#pragma once

#include <nlohmann/json.hpp>

#include "tunecase/economics/recommendation.h"

namespace tunecase::econ {

// decision.json: every input and derived figure as {"value", "source", "simulated"} (value
// null when unknown), plus break-even, sensitivity, checklist, recommendation and pilot plan.
nlohmann::json decision_json(const Decision& d);

}  // namespace tunecase::econ
