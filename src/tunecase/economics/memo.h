#pragma once

#include <string>

#include "tunecase/economics/recommendation.h"

namespace tunecase::econ {

// The decision memo as Markdown: question, data used, measured table, cost and value,
// break-even, sensitivity, what it would take, checklist, recommendation, risks, next step.
std::string memo_markdown(const Decision& d);

}  // namespace tunecase::econ
