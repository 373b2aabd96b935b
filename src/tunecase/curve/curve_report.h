#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace tunecase {

// curve.json (as is), curve.md and curve.html (accuracy vs labels on a log axis, one line per
// approach with its 95% band, the fitted curve dashed out to 4x the labels as a projection).
void write_curve_outputs(const nlohmann::json& doc, const std::filesystem::path& dir);
std::string curve_markdown(const nlohmann::json& doc);
std::string curve_html(const nlohmann::json& doc);

}  // namespace tunecase
