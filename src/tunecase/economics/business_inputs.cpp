#include "tunecase/economics/business_inputs.h"

#include <fmt/format.h>

#include "tunecase/core/error.h"

namespace tunecase::econ {
namespace {

Figure read_volume(const BusinessSettings& b, const std::string& where) {
  int given =
      (b.queries_per_day ? 1 : 0) + (b.queries_per_month ? 1 : 0) + (b.queries_per_year ? 1 : 0);
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
  return assumed(b.monthly_queries());
}

Figure read_cost_per_error(const BusinessSettings& b, const std::string& where, bool harmful_mode) {
  if (harmful_mode) {
    if (!b.cost_per_incident_usd) {
      throw UserError(fmt::format(
          "{} cost_per_incident_usd is missing: approaches give harmful_error_rate, so add "
          "the cost of one harmful incident to [business]",
          where));
    }
    // The approaches' rates are the harmful share already: a cost per error or a business-wide
    // share beside them would be silently ignored.
    if (b.cost_per_error_usd || b.harmful_error_rate) {
      throw UserError(fmt::format(
          "{} {} is given, but the approaches give harmful_error_rate: each query's harm is then "
          "priced by cost_per_incident_usd alone; remove {}",
          where, b.cost_per_error_usd ? "cost_per_error_usd" : "harmful_error_rate",
          b.cost_per_error_usd ? "cost_per_error_usd" : "[business] harmful_error_rate"));
    }
    return assumed(*b.cost_per_incident_usd);
  }
  if (b.cost_per_error_usd && (b.cost_per_incident_usd || b.harmful_error_rate)) {
    throw UserError(fmt::format(
        "{} give either cost_per_error_usd or harmful_error_rate + cost_per_incident_usd, "
        "not both",
        where));
  }
  if (b.cost_per_error_usd) return assumed(*b.cost_per_error_usd);
  if (b.cost_per_incident_usd && b.harmful_error_rate)
    return assumed(*b.cost_per_incident_usd * *b.harmful_error_rate);
  throw UserError(
      fmt::format("{} cost_per_error_usd is missing: add what one wrong answer costs you "
                  "(cost_per_error_usd), or the share of errors that cause an incident "
                  "(harmful_error_rate) and cost_per_incident_usd",
                  where));
}

}  // namespace

BusinessInputs read_business(const BusinessSettings& business, const std::string& origin,
                             bool harmful_mode) {
  if (!business.present) {
    throw UserError(
        fmt::format("{}: no [business] table; add one with queries_per_day, cost_per_error_usd and "
                    "engineer_usd_per_week (see docs/decide.md)",
                    origin));
  }
  std::string where = fmt::format("{}: [business]", business.where);
  BusinessInputs out;
  out.days_per_month = business.days_per_month;
  out.queries_per_month = read_volume(business, where);
  out.cost_per_error = read_cost_per_error(business, where, harmful_mode);
  out.harmful_mode = harmful_mode;
  out.cost_per_error_as_given = out.cost_per_error.get();
  if (!harmful_mode) {
    out.cost_by_label = business.cost_per_error_by_label;
    out.cost_by_label_where = business.cost_per_error_by_label_where;
  }
  if (!harmful_mode && business.harmful_error_rate && business.cost_per_incident_usd) {
    out.harmful_error_rate = business.harmful_error_rate;
    out.cost_per_incident_usd = business.cost_per_incident_usd;
  }
  if (!business.engineer_usd_per_week)
    throw UserError(
        fmt::format("{} engineer_usd_per_week is missing: add the loaded cost of one "
                    "engineer-week to [business]",
                    where));
  out.engineer_usd_per_week = assumed(*business.engineer_usd_per_week);
  out.horizon_months = assumed(business.horizon_months);
  out.monitoring_usd_per_month = assumed(business.monitoring_usd_per_month);
  out.utilisation = assumed(business.utilisation);
  out.pilot_share = assumed(business.pilot_traffic_share);
  out.baseline = business.baseline;
  out.infra_expertise = business.infra_expertise;
  out.data_sensitive = business.data_sensitive;
  if (business.task_stable_months) out.task_stable_months = assumed(*business.task_stable_months);
  if (business.labelled_examples) out.labelled_examples = assumed(*business.labelled_examples);
  return out;
}

}  // namespace tunecase::econ
