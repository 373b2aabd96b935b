#pragma once

#include <string>

#include "tunecase/config/config.h"
#include "tunecase/economics/inputs.h"

namespace tunecase::econ {

// Turns the typed [business] settings into assumed figures and checks the rules between keys
// (exactly one volume; a cost per error or per incident). `origin` names the config file in
// messages. `harmful_mode`: approaches give harmful_error_rate, so an error is priced by
// cost_per_incident_usd.
BusinessInputs read_business(const BusinessSettings& business, const std::string& origin,
                             bool harmful_mode);

}  // namespace tunecase::econ
