#include "tunecase/economics/business_inputs.h"

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/economics/read_number.h"

namespace tunecase::econ {
namespace {

Figure read_volume(const nlohmann::json& b, const std::string& where, double days_per_month) {
  auto per_day = read_non_negative(b, "queries_per_day", where);
  auto per_month = read_non_negative(b, "queries_per_month", where);
  auto per_year = read_non_negative(b, "queries_per_year", where);
  int given = (per_day ? 1 : 0) + (per_month ? 1 : 0) + (per_year ? 1 : 0);
  if (given == 0) {
    throw UserError(
        fmt::format("{} queries_per_day is missing: the business case needs your volume; add "
                    "queries_per_day (or queries_per_month, or queries_per_year) to [business]",
                    where));
  }
  if (given > 1) {
    throw UserError(fmt::format(
        "{} give only one of queries_per_day, queries_per_month, queries_per_year", where));
  }
  if (per_day) return assumed(*per_day * days_per_month);
  if (per_month) return assumed(*per_month);
  return assumed(*per_year / 12.0);
}

Figure read_cost_per_error(const nlohmann::json& b, const std::string& where, bool harmful_mode) {
  auto per_error = read_non_negative(b, "cost_per_error_usd", where);
  auto per_incident = read_non_negative(b, "cost_per_incident_usd", where);
  auto harmful_share = read_rate(b, "harmful_error_rate", where);
  if (harmful_mode) {
    if (!per_incident) {
      throw UserError(fmt::format(
          "{} cost_per_incident_usd is missing: approaches give harmful_error_rate, so add "
          "the cost of one harmful incident to [business]",
          where));
    }
    return assumed(*per_incident);
  }
  if (per_error && (per_incident || harmful_share)) {
    throw UserError(fmt::format(
        "{} give either cost_per_error_usd or harmful_error_rate + cost_per_incident_usd, "
        "not both",
        where));
  }
  if (per_error) return assumed(*per_error);
  if (per_incident && harmful_share) return assumed(*per_incident * *harmful_share);
  throw UserError(
      fmt::format("{} cost_per_error_usd is missing: add what one wrong answer costs you "
                  "(cost_per_error_usd), or the share of errors that cause an incident "
                  "(harmful_error_rate) and cost_per_incident_usd",
                  where));
}

Figure required(const nlohmann::json& b, const std::string& key, const std::string& where,
                const std::string& what) {
  auto v = read_non_negative(b, key, where);
  if (!v) throw UserError(fmt::format("{} {} is missing: add {} to [business]", where, key, what));
  return assumed(*v);
}

Figure optional_or(const nlohmann::json& b, const std::string& key, const std::string& where,
                   double fallback) {
  return assumed(read_non_negative(b, key, where).value_or(fallback));
}

}  // namespace

BusinessInputs read_business(const nlohmann::json& business, const std::string& origin,
                             bool harmful_mode) {
  std::string where = fmt::format("{}: [business]", origin);
  if (!business.is_object()) {
    throw UserError(
        fmt::format("{}: no [business] table; add one with queries_per_day, cost_per_error_usd and "
                    "engineer_usd_per_week (see docs/decide.md)",
                    origin));
  }
  BusinessInputs out;
  out.days_per_month = read_non_negative(business, "days_per_month", where).value_or(30);
  if (out.days_per_month <= 0) throw UserError(where + " days_per_month must be above 0");
  out.queries_per_month = read_volume(business, where, out.days_per_month);
  out.cost_per_error = read_cost_per_error(business, where, harmful_mode);
  out.harmful_mode = harmful_mode;
  out.engineer_usd_per_week =
      required(business, "engineer_usd_per_week", where, "the loaded cost of one engineer-week");
  out.horizon_months = optional_or(business, "horizon_months", where, 12);
  if (out.horizon_months.get() <= 0) throw UserError(where + " horizon_months must be above 0");
  out.monitoring_usd_per_month = optional_or(business, "monitoring_usd_per_month", where, 0);
  out.utilisation = assumed(read_rate(business, "utilisation", where).value_or(0.5));
  if (out.utilisation.get() <= 0) throw UserError(where + " utilisation must be above 0");
  out.pilot_share = assumed(read_rate(business, "pilot_traffic_share", where).value_or(0.05));
  if (business.contains("baseline")) {
    if (!business["baseline"].is_string())
      throw UserError(where + " baseline must be the name of an approach, in quotes");
    out.baseline = business["baseline"].get<std::string>();
  }
  out.infra_expertise = read_bool(business, "infra_expertise", where);
  out.data_sensitive = read_bool(business, "data_sensitive", where);
  if (auto m = read_non_negative(business, "task_stable_months", where))
    out.task_stable_months = assumed(*m);
  if (auto n = read_non_negative(business, "labelled_examples", where))
    out.labelled_examples = assumed(*n);
  return out;
}

}  // namespace tunecase::econ
