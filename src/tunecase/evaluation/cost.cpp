#include "tunecase/evaluation/cost.h"

#include <cmath>

#include <fmt/format.h>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

struct Hosting {
  double usd_per_hour = 0.10;
  int instances = 1;
  bool assumed = true;
};

Hosting read_hosting(const ApproachConfig& approach) {
  Hosting h;
  auto it = approach.params.find("hosting");
  if (it == approach.params.end()) return h;
  if (!it->is_object()) {
    throw UserError(
        fmt::format("approach '{}': hosting must be a table like "
                    "{{ usd_per_hour = 0.10, instances = 1 }}",
                    approach.name));
  }
  h.usd_per_hour = it->value("usd_per_hour", h.usd_per_hour);
  h.instances = it->value("instances", h.instances);
  h.assumed = false;
  if (h.usd_per_hour < 0 || h.instances < 1) {
    throw UserError(fmt::format("approach '{}': hosting needs usd_per_hour >= 0 and instances >= 1",
                                approach.name));
  }
  return h;
}

}  // namespace

CostFigures self_hosted_cost(const ApproachConfig& approach, double throughput_per_s,
                             double queries_per_day) {
  Hosting h = read_hosting(approach);
  CostFigures c;
  if (h.assumed) {
    c.notes.push_back("no hosting given: assumed one instance at $0.10/hour");
  }
  if (throughput_per_s <= 0) {
    c.basis = "unknown: no throughput measured";
    return c;
  }
  // One instance at full load answers throughput_per_s queries each second.
  c.usd_per_1k = 1000.0 * h.usd_per_hour / (throughput_per_s * 3600.0);
  c.basis = fmt::format("hosting ${:.2f}/hour / measured {:.0f} predictions/s per instance",
                        h.usd_per_hour, throughput_per_s);
  if (queries_per_day > 0) {
    // Instances run all month whatever the traffic; more are needed when one cannot keep up
    // with the average rate (peaks are not modelled).
    double needed = std::ceil(queries_per_day / 86400.0 / throughput_per_s);
    int instances = std::max(h.instances, static_cast<int>(needed));
    if (instances > h.instances) {
      c.notes.push_back(
          fmt::format("volume needs {} instances at the measured throughput", instances));
    }
    c.usd_per_month = h.usd_per_hour * instances * 24.0 * kDaysPerMonth;
  }
  return c;
}

CostFigures api_cost(const std::vector<Prediction>& predictions, double queries_per_day) {
  CostFigures c;
  double total = 0;
  std::size_t priced = 0;
  for (const auto& p : predictions) {
    if (p.error) continue;
    if (!p.cost_usd) {
      c.basis = "unknown: no price for this model in the catalogue";
      return c;
    }
    total += *p.cost_usd;
    ++priced;
  }
  if (priced == 0) {
    c.basis = "unknown: no answered request";
    return c;
  }
  double per_query = total / static_cast<double>(priced);
  c.usd_per_1k = per_query * 1000.0;
  c.basis = "measured tokens x catalogue price";
  if (queries_per_day > 0) c.usd_per_month = per_query * queries_per_day * kDaysPerMonth;
  return c;
}

nlohmann::json cost_json(const CostFigures& cost) {
  auto opt = [](const std::optional<double>& v) -> nlohmann::json {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"usd_per_1k", opt(cost.usd_per_1k)},
          {"usd_per_month", opt(cost.usd_per_month)},
          {"cost_basis", cost.basis},
          {"cost_provenance", "estimated"},
          {"cost_notes", cost.notes}};
}

}  // namespace tunecase
