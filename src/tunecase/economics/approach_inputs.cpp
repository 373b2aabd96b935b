#include "tunecase/economics/approach_inputs.h"

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/economics/read_number.h"

namespace tunecase::econ {
namespace {

double hours_per_month(const BusinessInputs& b) {
  return 24.0 * b.days_per_month;
}

void read_measured(ApproachInputs& a, const nlohmann::json& m, const std::string& where) {
  bool simulated = m.value("simulated", false);
  if (!m.contains("accuracy") || !m["accuracy"].is_number()) {
    throw UserError(
        fmt::format("{}: eval.json has no accuracy for this approach; re-run "
                    "tunecase eval",
                    where));
  }
  double acc = m["accuracy"].get<double>();
  a.accuracy = Figure{acc, Source::measured, simulated};
  a.error_rate = Figure{1 - acc, Source::measured, simulated};
  a.error_rate_low = a.error_rate_high = a.error_rate;
  if (m.contains("accuracy_ci95") && m["accuracy_ci95"].is_array() &&
      m["accuracy_ci95"].size() == 2) {
    a.error_rate_low.value = 1 - m["accuracy_ci95"][1].get<double>();
    a.error_rate_high.value = 1 - m["accuracy_ci95"][0].get<double>();
  }
  if (m.contains("throughput_per_s") && m["throughput_per_s"].is_number())
    a.throughput_per_s = Figure{m["throughput_per_s"].get<double>(), Source::measured, simulated};
  if (m.contains("latency_ms") && m["latency_ms"].is_object() &&
      m["latency_ms"].value("p50", nlohmann::json()).is_number())
    a.latency_p50_ms = Figure{m["latency_ms"]["p50"].get<double>(), Source::measured, simulated};
  a.cost_basis = m.value("cost_basis", std::string("measured tokens x catalogue price"));
  bool hosted = a.cost_basis.rfind("hosting", 0) == 0;
  if (hosted && m.contains("usd_per_month") && m["usd_per_month"].is_number()) {
    // eval prices self-hosting as instances running all month, whatever the traffic.
    a.hosting_usd_per_month = Figure{m["usd_per_month"].get<double>(), Source::estimated, false};
    a.usd_per_query = Figure{0.0, Source::estimated, false};
  } else if (m.contains("usd_per_1k") && m["usd_per_1k"].is_number()) {
    a.usd_per_query = Figure{m["usd_per_1k"].get<double>() / 1000, Source::estimated, simulated};
  } else {
    a.usd_per_query = unknown(Source::estimated);
    a.usd_per_query.simulated = simulated;
  }
}

void read_assumed_quality(ApproachInputs& a, const nlohmann::json& p, const std::string& where,
                          bool harmful_mode) {
  auto acc = read_rate(p, "accuracy", where);
  auto harmful = read_rate(p, "harmful_error_rate", where);
  if (harmful_mode) {
    if (!harmful) {
      throw UserError(
          fmt::format("{} harmful_error_rate is missing: other approaches give it, so "
                      "every approach needs it (share of queries that cause an "
                      "incident, e.g. 0.02)",
                      where));
    }
    a.error_rate = assumed(*harmful);
  } else {
    if (!acc) {
      throw UserError(
          fmt::format("{} accuracy is missing: without --eval every approach needs an "
                      "assumed accuracy (e.g. accuracy = 0.84) or harmful_error_rate",
                      where));
    }
    a.accuracy = assumed(*acc);
    a.error_rate = assumed(1 - *acc);
  }
  a.error_rate_low = a.error_rate_high = a.error_rate;
}

// Fixed instances, or per query from throughput when billing = "per_query".
void read_hosting(ApproachInputs& a, const nlohmann::json& p, const BusinessInputs& b,
                  const std::string& where) {
  const nlohmann::json& h = p["hosting"];
  std::string hw = where + " hosting";
  if (!h.is_object())
    throw UserError(hw + ": write hosting = { usd_per_hour = 0.5, instances = 1 }");
  std::string billing = h.value("billing", std::string("fixed"));
  auto per_hour = read_non_negative(h, "usd_per_hour", hw);
  auto per_month = read_non_negative(h, "usd_per_month", hw);
  double instances = read_non_negative(h, "instances", hw).value_or(1);
  a.usd_per_query = assumed(0);
  a.hosting_usd_per_month = assumed(0);
  if (billing == "fixed") {
    if (per_month) {
      a.hosting_usd_per_month = assumed(*per_month);
    } else if (per_hour) {
      a.hosting_usd_per_month = assumed(*per_hour * instances * hours_per_month(b));
    } else {
      throw UserError(hw + ": give usd_per_hour (with instances) or usd_per_month");
    }
    a.cost_basis = "hosting, fixed instances";
    return;
  }
  if (billing != "per_query")
    throw UserError(
        fmt::format("{}: billing = \"{}\" is not known; use \"fixed\" or "
                    "\"per_query\"",
                    hw, billing));
  if (!per_hour) throw UserError(hw + ": billing = \"per_query\" needs usd_per_hour");
  if (auto t = read_non_negative(h, "throughput_per_s", hw)) a.throughput_per_s = assumed(*t);
  if (!a.throughput_per_s.known() || a.throughput_per_s.get() <= 0) {
    throw UserError(hw +
                    ": billing = \"per_query\" needs a throughput: run tunecase eval "
                    "(measured) or add throughput_per_s (queries per second per instance)");
  }
  // Per query = hourly price / (queries an instance serves per hour x utilisation).
  double per_query = *per_hour / (3600.0 * a.throughput_per_s.get() * b.utilisation.get());
  Figure basis = combine(a.throughput_per_s, b.utilisation, 0);
  a.usd_per_query = Figure{per_query, Source::estimated, basis.simulated};
  a.cost_basis = "hosting / throughput";
}

Figure cost_key(ApproachInputs& a, const nlohmann::json& p, const std::string& key,
                const std::string& where, double fallback) {
  if (auto v = read_non_negative(p, key, where)) return assumed(*v);
  a.defaults_used.push_back(key);
  return assumed(fallback);
}

}  // namespace

bool is_trained(const ApproachConfig& config) {
  if (config.params.contains("trained") && config.params["trained"].is_boolean())
    return config.params["trained"].get<bool>();
  if (config.kind == "linear" || config.kind == "fasttext") return true;
  return config.params.contains("hosting") || config.params.contains("training_usd");
}

ApproachInputs read_approach(const ApproachConfig& config, const nlohmann::json* measured,
                             const BusinessInputs& business, const std::string& origin) {
  std::string where = fmt::format("{}: [[approach]] '{}'", origin, config.name);
  const nlohmann::json& p = config.params;
  ApproachInputs a;
  a.name = config.name;
  a.kind = config.kind;
  a.trained = is_trained(config);
  if (measured) {
    read_measured(a, *measured, where);
  } else {
    read_assumed_quality(a, p, where, business.harmful_mode);
    a.usd_per_query = unknown(Source::assumed);
  }
  // eval.json's hosting bill already counts the instances the volume needs; keep it unless
  // the config asks for per-query billing.
  bool eval_hosting = a.hosting_usd_per_month.known() &&
                      !(p.contains("hosting") && p["hosting"].is_object() &&
                        p["hosting"].value("billing", std::string()) == "per_query");
  if (p.contains("hosting") && !eval_hosting) read_hosting(a, p, business, where);
  if (auto q = read_non_negative(p, "usd_per_query", where)) {
    // An explicit price replaces eval's estimate; with hosting it is paid on top of it.
    if (p.contains("hosting")) {
      a.usd_per_query = combine(a.usd_per_query, assumed(*q), a.usd_per_query.get() + *q);
      a.cost_basis += " + assumed price per query";
    } else {
      a.usd_per_query = assumed(*q);
      a.cost_basis = "assumed price per query";
    }
  }
  if (!a.hosting_usd_per_month.known()) a.hosting_usd_per_month = assumed(0);
  a.training_usd = cost_key(a, p, "training_usd", where, 0);
  a.engineering_weeks = cost_key(a, p, "engineering_weeks", where, 0);
  a.retrain_every_months = cost_key(a, p, "retrain_every_months", where, 0);
  a.retrain_usd = cost_key(a, p, "retrain_usd", where, 0);
  a.maintenance_weeks_per_month = cost_key(a, p, "maintenance_weeks_per_month", where, 0);
  a.time_to_ship_weeks = cost_key(a, p, "time_to_ship_weeks", where, 0);
  if (auto m = read_non_negative(p, "monitoring_usd_per_month", where))
    a.monitoring_usd_per_month = assumed(*m);
  else
    a.monitoring_usd_per_month = business.monitoring_usd_per_month;
  return a;
}

}  // namespace tunecase::econ
