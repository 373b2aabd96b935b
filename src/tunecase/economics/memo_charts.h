#pragma once

#include <string>

#include "tunecase/economics/recommendation.h"

namespace tunecase::econ {

// Inline SVG charts of the decision memo.

// Accuracy (or harmful-error rate) against monthly running cost, with interval bars and the
// Pareto frontier (no other approach is both cheaper and better) drawn as a dashed line.
std::string accuracy_cost_chart(const Decision& d);

// Monthly running cost against volume per approach, break-even points marked.
std::string cost_volume_chart(const Decision& d);

// Net benefit of the pick as each assumed input moves by -50% / +50%.
std::string tornado(const Decision& d);

// True when a is at least as cheap and as good as b and strictly better in one of the two.
bool dominates(double cost_a, double rate_a, double cost_b, double rate_b);

}  // namespace tunecase::econ
