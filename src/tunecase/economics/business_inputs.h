#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tunecase/economics/inputs.h"

namespace tunecase::econ {

// Reads and validates the [business] table (`business` is its JSON; `origin` names the config
// file in messages). `harmful_mode`: approaches give harmful_error_rate, so an error is priced
// by cost_per_incident_usd.
BusinessInputs read_business(const nlohmann::json& business, const std::string& origin,
                             bool harmful_mode);

}  // namespace tunecase::econ
