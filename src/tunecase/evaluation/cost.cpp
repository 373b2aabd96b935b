#include "tunecase/evaluation/cost.h"

#include <cmath>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/number_format.h"
#include "tunecase/economics/hosting_cost.h"

namespace tunecase {
CostFigures self_hosted_cost(const ApproachConfig& approach, double throughput_per_s,
                             const BusinessSettings& business) {
  double per_month = business.monthly_queries();
  HostingBill bill = hosting_bill(approach.costs.hosting, throughput_per_s, per_month,
                                  business.days_per_month, business.utilisation);
  CostFigures c;
  c.kind = bill.cost_kind;
  c.basis = bill.basis;
  c.notes = bill.notes;
  c.usd_per_month = bill.usd_per_month;
  if (per_month <= 0 && bill.cost_kind == "hosting_fixed") c.usd_per_month.reset();
  c.hosting_assumed = bill.assumed_rate;
  // The typed bill, or one resting on a typed throughput, is assumed; so is a usd_per_month bill
  // with no volume to price (nothing was estimated).
  if ((c.usd_per_month && (!bill.from_throughput || bill.throughput_assumed)) ||
      (!c.usd_per_month && approach.costs.hosting && approach.costs.hosting->usd_per_month) ||
      (bill.cost_kind == "hosting_per_query" && bill.throughput_assumed))
    c.provenance = "assumed";
  // The default hourly price, which nobody gave: a figure resting on it is assumed (the weakest of
  // its inputs), measured throughput or not.
  if (bill.assumed_rate) c.provenance = "assumed";
  if (bill.usd_per_query) {
    c.usd_per_1k = 1000 * *bill.usd_per_query;
  } else if (throughput_per_s > 0 &&
             !approach.costs.hosting.value_or(HostingSettings{}).usd_per_month) {
    // No volume: the price of a query when one instance runs at full load.
    double per_hour = approach.costs.hosting.value_or(HostingSettings{})
                          .usd_per_hour.value_or(kAssumedUsdPerHour);
    c.usd_per_1k = 1000.0 * per_hour / (throughput_per_s * 3600.0);
    // The formula in words is this one, not the month's bill it would be spread over.
    const bool typed = approach.costs.hosting && approach.costs.hosting->throughput_per_s;
    c.basis = fmt::format(
        "hosting {}/hour / {} queries/s ({}): one instance at full load, no volume to "
        "spread a month's bill over",
        usd_amount(per_hour),
        throughput_per_s >= 10 ? fmt::format("{:.0f}", throughput_per_s)
                               : significant_fixed(throughput_per_s, 2),
        typed ? "hosting.throughput_per_s, assumed" : "measured throughput");
    c.notes.push_back("no volume given: $ per 1k is one instance at full load");
  }
  return c;
}

CostFigures api_cost(const std::vector<Prediction>& predictions, double queries_per_day,
                     double days_per_month, std::string_view price_source) {
  CostFigures c;
  double total = 0;
  std::size_t priced = 0, no_usage = 0, answered = 0;
  for (const auto& p : predictions) {
    if (p.error) continue;
    ++answered;
    if (p.cost_usd) {
      total += *p.cost_usd;
      ++priced;
    } else if (p.tokens_in > 0) {
      // Tokens known, cost not: the model has no price.
      c.basis = "unknown: no price for this model in the catalogue";
      return c;
    } else {
      ++no_usage;  // the answer gave no token counts, or ones no request could have produced
    }
  }
  if (answered == 0) {
    c.basis = "unknown: no answered request";
    return c;
  }
  if (priced == 0) {
    c.basis = fmt::format(
        "unknown: none of the {} answers reported usable token counts (no usage block, or "
        "counts no request could have produced), so no cost can be measured",
        answered);
    return c;
  }
  double per_query = total / static_cast<double>(priced);
  c.usd_per_1k = per_query * 1000.0;
  // A price typed into the approach's table stands in for the catalogue's: measured tokens x a
  // price is estimated either way (docs/decide.md); the basis names where the price came from.
  const std::string price =
      price_source.starts_with("config:")
          ? fmt::format("the price typed in the config ({})", price_source.substr(8))
          : std::string("catalogue price");
  c.basis = "measured tokens x " + price;
  if (no_usage > 0) {
    c.basis = fmt::format(
        "estimated: measured tokens x {} over the {} answers that reported usable "
        "token counts; {} of {} did not and are assumed to cost the same",
        price, priced, no_usage, answered);
    c.provenance = "estimated";
  }
  c.kind = "api_tokens";
  if (queries_per_day > 0) c.usd_per_month = per_query * queries_per_day * days_per_month;
  return c;
}

std::string price_source(const nlohmann::json& runner_summary) {
  auto price = runner_summary.find("price");
  if (price == runner_summary.end() || !price->is_object()) return "";
  auto source = price->find("source");
  return source != price->end() && source->is_string() ? source->get<std::string>() : "";
}

nlohmann::json cost_json(const CostFigures& cost) {
  auto opt = [](const std::optional<double>& v) -> nlohmann::json {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  nlohmann::json out = {{"usd_per_1k", opt(cost.usd_per_1k)},
                        {"usd_per_month", opt(cost.usd_per_month)},
                        {"cost_basis", cost.basis},
                        {"cost_kind", cost.kind},
                        {"cost_provenance", cost.provenance},
                        {"cost_notes", cost.notes},
                        // A monthly figure rests on the config's daily volume, an assumption,
                        // whatever the provenance of the price per query (the memo tags it so).
                        {"usd_per_month_provenance",
                         cost.usd_per_month ? nlohmann::json("assumed") : nlohmann::json(nullptr)}};
  if (cost.kind.rfind("hosting", 0) == 0) out["hosting_assumed"] = cost.hosting_assumed;
  return out;
}

}  // namespace tunecase
