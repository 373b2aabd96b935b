#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace tunecase::econ {

// Reads table[key] as a non-negative number. Empty when absent; throws UserError naming
// `where` and the key when it is not a number or is negative.
std::optional<double> read_non_negative(const nlohmann::json& table, const std::string& key,
                                        const std::string& where);

// Same, for a rate that must lie in [0, 1].
std::optional<double> read_rate(const nlohmann::json& table, const std::string& key,
                                const std::string& where);

std::optional<bool> read_bool(const nlohmann::json& table, const std::string& key,
                              const std::string& where);

}  // namespace tunecase::econ
