#include "tunecase/economics/money.h"

#include <cmath>

#include <fmt/format.h>

#include "tunecase/core/number_format.h"

namespace tunecase::econ {

std::string money(double usd) {
  if (!std::isfinite(usd)) return "UNKNOWN";
  std::string sign = usd < 0 ? "-" : "";
  double a = std::fabs(usd);
  if (a >= 1e15) return fmt::format("{}${:.3g}", sign, a);  // beyond what llround holds
  if (a >= 0.1 && a < 10) return fmt::format("{}${:.2f}", sign, a);
  if (a > 0 && a < 0.1) return sign + "$" + significant_cents(a);
  return sign + "$" + group_thousands(static_cast<unsigned long long>(std::llround(a)));
}

std::string money(const Figure& f) {
  return f.known() ? money(f.get()) : "UNKNOWN";
}

std::string count(double n) {
  if (!std::isfinite(n)) return "UNKNOWN";
  if (std::fabs(n) >= 1e15) return fmt::format("{:.3g}", n);
  std::string sign = n < 0 ? "-" : "";
  return sign + group_thousands(static_cast<unsigned long long>(std::llround(std::fabs(n))));
}

std::string percent(double fraction) {
  double pct = fraction * 100;
  // Below 0.1% one decimal would print "0.0%": keep two significant digits instead.
  if (pct != 0 && std::fabs(pct) < 0.1) return significant_fixed(pct, 2) + "%";
  return fmt::format("{:.1f}%", pct);
}

}  // namespace tunecase::econ
