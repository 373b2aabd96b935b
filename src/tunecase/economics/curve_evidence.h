#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace tunecase::econ {

// What a learning curve (curve.json of `tunecase curve`) says about the labels a team has, in
// one sentence per approach: the measured accuracy at the size nearest 500 labels, the labels
// in hand, and the fitted projection at twice as many (marked as a projection).
// Empty when `curve` is null or holds no approach.
std::string curve_evidence(const nlohmann::json& curve);

}  // namespace tunecase::econ
