#pragma once

#include <string>

#include "tunecase/economics/figure.h"

namespace tunecase::econ {

// "$1,234" (whole dollars; cents below $10 so per-query prices stay readable), "-$250,000".
std::string money(double usd);

// money() of a figure, or "UNKNOWN" when the figure is unknown (never "$0").
std::string money(const Figure& f);

// "68,966": a count rounded to a whole number with thousands separators.
std::string count(double n);

// "84.0%"; small shares keep two significant digits ("0.04%") so they never read as 0.
std::string percent(double fraction);

}  // namespace tunecase::econ
