#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/approaches/classifier.h"

namespace tunecase {

// What one approach costs to run, with where the figure comes from. Self-hosted approaches:
// hosting $/hour divided by the measured throughput (estimated); API approaches: measured tokens
// times catalogue prices (estimated). A price that is not known stays unknown (nullopt).
struct CostFigures {
  std::optional<double> usd_per_1k;
  std::optional<double> usd_per_month;  // at the configured volume; nullopt when volume unknown
  std::string kind = "unknown";         // api_tokens | hosting_fixed | hosting_per_query | unknown
  std::string basis;                    // how it was computed, for the report
  std::vector<std::string> notes;       // assumptions a reader must know
  // estimated (from measured tokens or throughput and a price) | assumed (a hosting bill that is
  // the hosting price alone: instances x $/hour, or a monthly bill, as configured or defaulted)
  std::string provenance = "estimated";
  bool hosting_assumed = false;  // self-hosted without a hosting table: the default was priced
};

// `throughput_per_s`: measured sequential predictions per second of one instance. The bill comes
// from the approach's hosting table by the formula decide uses too (economics/hosting_cost.h).
CostFigures self_hosted_cost(const ApproachConfig& approach, double throughput_per_s,
                             const BusinessSettings& business);

// `predictions`: every answered item of the run; cost_usd nullopt means the price is unknown.
// `price_source`: where the price came from (Price::source; "config: approach '...'" for one
// typed in the approach's table), named in the basis.
CostFigures api_cost(const std::vector<Prediction>& predictions, double queries_per_day,
                     double days_per_month = 30, std::string_view price_source = {});

nlohmann::json cost_json(const CostFigures& cost);

// The price's source in a runner summary ("price": {"source": ...}), "" when it has none.
std::string price_source(const nlohmann::json& runner_summary);

}  // namespace tunecase
