#pragma once

#include <optional>
#include <string>

namespace tunecase {

// The words for the data-quality report's count of high-quality examples, shared by the report
// itself (quality/) and the eval report, which reads it from eval.json.

// "870" or, when the label-noise figure is an upper bound, "between 540 and 1,010".
std::string high_quality_count_text(double count, std::optional<double> high);

// How that count was made, for the parenthesis after it: "estimated: labelled rows minus
// estimated wrong labels minus near-duplicate rows", or, when label noise was not estimated
// (inspect --no-noise), "measured: labelled rows minus near-duplicate rows; wrong labels not
// estimated".
std::string high_quality_basis_text(bool noise_estimated);

}  // namespace tunecase
