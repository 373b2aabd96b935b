#include "tunecase/serve/routing.h"

#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "tunecase/core/hash.h"

namespace tunecase::serve {
namespace {

double to_unit(uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;  // 53 bits: exact in a double, < 1
}

double random_unit() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return to_unit(engine());
}

}  // namespace

std::optional<std::string> weights_error(std::span<const double> weights) {
  if (weights.empty()) return "the split has no arms";
  double sum = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!std::isfinite(weights[i]) || weights[i] < 0)
      return fmt::format("weight {} of arm {} must be a finite number >= 0", weights[i], i + 1);
    sum += weights[i];
  }
  if (!(sum > 0)) return "at least one arm needs a positive weight";
  return std::nullopt;
}

double unit_hash(std::string_view id, std::string_view salt) {
  // The salt's length first, so ("ab", "c") and ("a", "bc") differ.
  std::string key = fmt::format("{}:{}\x1f{}", salt.size(), salt, id);
  return to_unit(mix64(fnv1a64(key)));
}

std::size_t arm_at(double u, std::span<const double> weights) {
  if (std::optional<std::string> error = weights_error(weights))
    throw std::invalid_argument("traffic split: " + *error);
  double sum = 0;
  for (double w : weights) sum += w;
  const double target = u * sum;
  double cumulative = 0;
  std::size_t last_positive = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] == 0) continue;
    cumulative += weights[i];
    last_positive = i;
    if (target < cumulative) return i;
  }
  return last_positive;  // rounding in the running sum can leave u just past the end
}

std::size_t arm_for(std::string_view id, std::string_view salt, std::span<const double> weights) {
  return arm_at(id.empty() ? random_unit() : unit_hash(id, salt), weights);
}

}  // namespace tunecase::serve
