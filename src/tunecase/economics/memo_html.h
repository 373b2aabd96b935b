#pragma once

#include <string>

#include "tunecase/economics/recommendation.h"

namespace tunecase::econ {

// The decision memo as one self-contained HTML page (inline CSS and SVG, nothing fetched):
// the Markdown memo's sections plus three charts.
std::string memo_html(const Decision& d);

}  // namespace tunecase::econ
