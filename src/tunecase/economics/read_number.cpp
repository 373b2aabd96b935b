#include "tunecase/economics/read_number.h"

#include <cmath>

#include <fmt/format.h>

#include "tunecase/core/error.h"

namespace tunecase::econ {

std::optional<double> read_non_negative(const nlohmann::json& table, const std::string& key,
                                        const std::string& where) {
  if (!table.is_object() || !table.contains(key)) return std::nullopt;
  const nlohmann::json& v = table.at(key);
  if (!v.is_number()) {
    throw UserError(fmt::format("{} {}: must be a number, got {}; write e.g. {} = 10", where, key,
                                v.dump(), key));
  }
  double x = v.get<double>();
  if (!std::isfinite(x) || x < 0) {
    throw UserError(fmt::format("{} {}: must not be negative (got {}); use 0 or a positive number",
                                where, key, x));
  }
  return x;
}

std::optional<double> read_rate(const nlohmann::json& table, const std::string& key,
                                const std::string& where) {
  std::optional<double> x = read_non_negative(table, key, where);
  if (x && *x > 1) {
    throw UserError(fmt::format("{} {}: is a fraction between 0 and 1 (got {}); write 2% as 0.02",
                                where, key, *x));
  }
  return x;
}

std::optional<bool> read_bool(const nlohmann::json& table, const std::string& key,
                              const std::string& where) {
  if (!table.is_object() || !table.contains(key)) return std::nullopt;
  const nlohmann::json& v = table.at(key);
  if (!v.is_boolean()) {
    throw UserError(fmt::format("{} {}: must be true or false, got {}", where, key, v.dump()));
  }
  return v.get<bool>();
}

}  // namespace tunecase::econ
