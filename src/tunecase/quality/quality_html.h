#pragma once

#include <string>

#include "tunecase/quality/inspect.h"

namespace tunecase {

// data.html: the data-quality report as one self-contained page (the same findings as data.md,
// with the per-label tables in full and the 20 most doubtful labels).
std::string data_quality_html(const DataQuality& q);

}  // namespace tunecase
