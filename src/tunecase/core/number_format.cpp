#include "tunecase/core/number_format.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tunecase {

std::string significant_fixed(double value, int digits) {
  double a = std::fabs(value);
  if (a < 1e-12) return "0";
  int magnitude = static_cast<int>(std::floor(std::log10(a)));
  int decimals = std::clamp(digits - 1 - magnitude, 0, 14);
  std::string out = fmt::format("{:.{}f}", value, decimals);
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

std::string significant_cents(double value) {
  const double a = std::fabs(value);
  if (a < 1e-12) return "0";
  const int magnitude = static_cast<int>(std::floor(std::log10(a)));
  std::string out = fmt::format("{:.{}f}", value, std::clamp(1 - magnitude, 2, 14));
  // Rounding up to the next power of ten (0.0996 -> "0.100") leaves a digit too many.
  const auto dot = out.find('.');
  if (dot == std::string::npos) return out;
  const auto first = out.find_first_of("123456789");
  if (first != std::string::npos && first > dot && out.size() > first + 2 && out.size() - dot > 3)
    out.resize(first + 2);
  // From a cent up, whole cents need no third digit: 0.050 is "0.05".
  if (a >= 0.01)
    while (out.size() > dot + 3 && out.back() == '0') out.pop_back();
  return out;
}

std::string tenths_down(double days) {
  return fmt::format("{:.1f}", std::floor(days * 10) / 10);
}

std::size_t utf8_chars(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string group_thousands(unsigned long long whole) {
  std::string digits = std::to_string(whole);
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string usd_amount(double usd) {
  if (std::fabs(usd) >= 1 || usd == 0) return fmt::format("${:.2f}", usd);
  return (usd < 0 ? "-$" : "$") + significant_cents(std::fabs(usd));
}

std::string usd_cap_amount(double usd) {
  if (usd <= 0) return usd_amount(usd);
  if (usd >= 1) return fmt::format("${:.2f}", std::ceil(usd * 100 - 1e-9) / 100);
  // Two significant digits, rounded up: 0.0123 is $0.013.
  const double scale = std::pow(10.0, 1 - std::floor(std::log10(usd)));
  return usd_amount(std::ceil(usd * scale - 1e-9) / scale);
}

std::string whole_dollars(double usd) {
  if (!std::isfinite(usd)) return "UNKNOWN";
  if (std::fabs(usd) >= 1e15) return fmt::format("{}${:.3g}", usd < 0 ? "-" : "", std::fabs(usd));
  auto whole = static_cast<unsigned long long>(std::llround(std::fabs(usd)));
  return (usd < 0 && whole > 0 ? "-$" : "$") + group_thousands(whole);
}

}  // namespace tunecase
