#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tunecase/economics/inputs.h"

namespace tunecase::econ {

// What a fine-tuned or self-hosted approach would need to match the best prompting approach
// on net benefit over the horizon.
struct WhatItTakes {
  std::string trained;    // the fine-tuned / self-hosted approach
  std::string prompting;  // the best prompting approach
  bool already_ahead = false;
  // Error rate (1 - accuracy, or harmful-error rate) at which net benefits are equal; empty
  // when even zero errors would not be enough.
  std::optional<double> required_error_rate;
  // Monthly volume above which the trained approach pulls ahead; empty = never.
  std::optional<double> required_queries_per_month;
};

// One row per trained approach; empty when there is no trained or no prompting approach.
std::vector<WhatItTakes> what_it_takes(const Scenario& s);

}  // namespace tunecase::econ
