#include "tunecase/economics/hosting_cost.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tunecase/core/number_format.h"
#include "tunecase/economics/money.h"

namespace tunecase {
namespace {

HostingBill fixed_bill(const HostingSettings& h, double throughput_per_s, double queries_per_month,
                       double days_per_month) {
  HostingBill bill;
  bill.cost_kind = "hosting_fixed";
  // hosting.throughput_per_s, when given, is the throughput passed: typed, so assumed.
  bill.throughput_assumed = h.throughput_per_s.has_value();
  const char* throughput_kind =
      bill.throughput_assumed ? "hosting.throughput_per_s (assumed)" : "the measured throughput";
  double needed = 0;
  if (throughput_per_s > 0 && queries_per_month > 0)
    needed = std::ceil(queries_per_month / (days_per_month * 86400.0) / throughput_per_s);
  if (h.usd_per_month) {
    bill.usd_per_month = *h.usd_per_month;
    bill.basis = fmt::format("hosting, fixed monthly bill {}", usd_amount(*h.usd_per_month));
    if (needed > h.instances)
      bill.notes.push_back(fmt::format(
          "volume needs {} instances at {}; the usd_per_month bill is taken as covering them",
          econ::count(needed), throughput_kind));
  } else {
    double per_hour = h.usd_per_hour.value_or(kAssumedUsdPerHour);
    double instances = h.instances;  // a double: a vast volume needs more than an int holds
    if (needed > instances) {
      bill.notes.push_back(
          fmt::format("volume needs {} instances at {}", econ::count(needed), throughput_kind));
      instances = needed;
      bill.from_throughput = true;
    }
    bill.usd_per_month = per_hour * instances * 24.0 * days_per_month;
    bill.basis =
        fmt::format("hosting, {} instance{} x {}/hour, running all month", econ::count(instances),
                    instances == 1 ? "" : "s", usd_amount(per_hour));
  }
  if (queries_per_month > 0) bill.usd_per_query = *bill.usd_per_month / queries_per_month;
  return bill;
}

HostingBill per_query_bill(const HostingSettings& h, double throughput_per_s,
                           double queries_per_month, double utilisation) {
  HostingBill bill;
  bill.cost_kind = "hosting_per_query";
  bill.throughput_assumed = h.throughput_per_s.has_value();
  double per_hour = h.usd_per_hour.value_or(kAssumedUsdPerHour);
  if (throughput_per_s <= 0 || utilisation <= 0) {
    bill.basis = "unknown: per-query hosting needs a throughput";
    return bill;
  }
  bill.usd_per_query = per_hour / (3600.0 * throughput_per_s * utilisation);
  bill.from_throughput = true;
  // 900 queries/s as "900", an assumed 0.001 as "0.001", never rounded to 0.
  std::string throughput = throughput_per_s >= 10 ? fmt::format("{:.0f}", throughput_per_s)
                                                  : significant_fixed(throughput_per_s, 2);
  bill.basis = fmt::format("hosting {}/hour / ({} queries/s x {:.0f}% utilisation)",
                           usd_amount(per_hour), throughput, 100 * utilisation);
  if (queries_per_month > 0) bill.usd_per_month = *bill.usd_per_query * queries_per_month;
  return bill;
}

}  // namespace

HostingBill hosting_bill(const std::optional<HostingSettings>& hosting, double throughput_per_s,
                         double queries_per_month, double days_per_month, double utilisation) {
  HostingSettings h = hosting.value_or(HostingSettings{});
  HostingBill bill = h.billing == "per_query"
                         ? per_query_bill(h, throughput_per_s, queries_per_month, utilisation)
                         : fixed_bill(h, throughput_per_s, queries_per_month, days_per_month);
  if (!hosting) {
    bill.assumed_rate = true;
    bill.notes.push_back(fmt::format(
        "no hosting given: assumed one instance at {}/hour; add hosting = {{ usd_per_hour "
        "= ..., instances = ... }} or {{ usd_per_month = ... }} to the approach",
        usd_amount(kAssumedUsdPerHour)));
  }
  return bill;
}

}  // namespace tunecase
