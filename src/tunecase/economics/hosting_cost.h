#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tunecase/config/settings.h"

namespace tunecase {

// When an approach gives no hosting table, eval assumes one small instance at this price.
inline constexpr double kAssumedUsdPerHour = 0.10;

// A self-hosted approach's bill, computed by the one formula eval and decide both use.
struct HostingBill {
  std::optional<double> usd_per_month;  // nullopt when it cannot be known (no volume, no rate)
  std::optional<double> usd_per_query;  // at the stated volume (fixed) or per query (per_query)
  std::string cost_kind;                // "hosting_fixed" | "hosting_per_query" (machine-readable)
  std::string basis;                    // how it was computed, in words
  std::vector<std::string> notes;       // assumptions a reader must know
  bool assumed_rate = false;            // no hosting given: kAssumedUsdPerHour was used
  // The figure rests on a throughput (per-query billing, or instances raised to carry the volume):
  // estimated from a measured throughput; otherwise the bill is the hosting price as assumed.
  bool from_throughput = false;
  // That throughput is hosting.throughput_per_s as typed, not measured: the figure is assumed.
  bool throughput_assumed = false;
};

// fixed: `usd_per_month` as given, or usd_per_hour x instances x 24 x days_per_month, with the
//   instances raised to what the volume needs at `throughput_per_s` (average rate, no peaks);
//   per query = bill / monthly volume.
// per_query: usd_per_hour / (3600 x throughput x utilisation) per query; bill = that x volume.
// `throughput_per_s` is measured (eval) or hosting.throughput_per_s (assumed); 0 when unknown.
HostingBill hosting_bill(const std::optional<HostingSettings>& hosting, double throughput_per_s,
                         double queries_per_month, double days_per_month, double utilisation);

}  // namespace tunecase
