#include "tunecase/economics/approach_inputs.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/number_format.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/economics/hosting_cost.h"
#include "tunecase/economics/money.h"

namespace tunecase::econ {
namespace {

// How much of the test split the measurement covers: "" when all of it, else
// "334/1,076 scored, stopped by budget". A measurement of no item at all is an error.
std::string coverage(const nlohmann::json& m, const std::string& where) {
  auto number = [&m](const char* key, double fallback) {
    return m.contains(key) && m[key].is_number() ? m[key].get<double>() : fallback;
  };
  double scored = number("scored", number("n", -1));
  double not_run = number("not_run", 0);
  if (scored == 0) {
    throw UserError(fmt::format(
        "{}: eval.json scored no test item for this approach ({:.0f} not run), so there is no "
        "accuracy to decide on; re-run tunecase eval with a larger --max-cost",
        where, not_run));
  }
  if (not_run <= 0 && !m.value("partial", false)) return "";
  std::string reason = m.value("not_run_reason", std::string("budget reached"));
  return fmt::format("{}/{} scored, {}", count(scored), count(scored + not_run),
                     reason == "budget reached" ? "stopped by budget" : "not run: " + reason);
}

// An approach's cost_kind in eval.json; from before cost_kind existed, the basis text said it
// (a self-hosted one's started with "hosting").
std::string cost_kind(const nlohmann::json& m) {
  std::string basis = m.value("cost_basis", std::string());
  return m.value("cost_kind", basis.rfind("hosting", 0) == 0 ? "hosting_fixed" : "api_tokens");
}

void read_measured(ApproachInputs& a, const nlohmann::json& m, const std::string& where) {
  bool simulated = m.value("simulated", false);
  a.partial = coverage(m, where);  // first: an approach that scored nothing has no accuracy
  if (!m.contains("accuracy") || !m["accuracy"].is_number()) {
    throw UserError(
        fmt::format("{}: eval.json has no accuracy for this approach; re-run "
                    "tunecase eval",
                    where));
  }
  if (m.contains("errors") && m["errors"].is_number_integer() && m["errors"].get<int64_t>() > 0) {
    const int64_t errors = m["errors"].get<int64_t>();
    const double scored = m.value("scored", m.value("n", 0.0));
    a.failed_share = scored > 0 ? static_cast<double>(errors) / scored : 1;
    a.failures = fmt::format(
        "{} of {} test requests ({:.1f}%) failed after all retries and count "
        "as wrong",
        count(static_cast<double>(errors)), count(scored), 100 * a.failed_share);
  }
  if (m.contains("scored") && m["scored"].is_number())
    a.test_items = m["scored"].get<int64_t>();
  else if (m.contains("n") && m["n"].is_number())
    a.test_items = m["n"].get<int64_t>();
  double acc = m["accuracy"].get<double>();
  a.accuracy = Figure{acc, Source::measured, simulated};
  a.error_rate = Figure{1 - acc, Source::measured, simulated};
  a.error_rate_low = a.error_rate_high = a.error_rate;
  if (m.contains("accuracy_ci95") && m["accuracy_ci95"].is_array() &&
      m["accuracy_ci95"].size() == 2) {
    a.error_rate_low.value = 1 - m["accuracy_ci95"][1].get<double>();
    a.error_rate_high.value = 1 - m["accuracy_ci95"][0].get<double>();
    a.accuracy_ci95 = {m["accuracy_ci95"][0].get<double>(), m["accuracy_ci95"][1].get<double>()};
  }
  if (m.contains("per_class") && m["per_class"].is_object()) {
    for (const auto& [label, c] : m["per_class"].items()) {
      if (!c.is_object() || !c.value("recall", nlohmann::json()).is_number()) continue;
      const auto support = c.value("support", int64_t{0});
      if (support > 0 && c["recall"].get<double>() == 0) a.never_right.emplace_back(label, support);
      if (support > 0) {
        a.support_by_label[label] = support;
        a.errors_by_label[label] = std::llround(
            static_cast<double>(support) * (1 - std::clamp(c["recall"].get<double>(), 0.0, 1.0)));
      }
    }
    std::stable_sort(a.never_right.begin(), a.never_right.end(),
                     [](const auto& x, const auto& y) { return x.second > y.second; });
  }
  if (m.contains("throughput_per_s") && m["throughput_per_s"].is_number())
    a.throughput_per_s = Figure{m["throughput_per_s"].get<double>(), Source::measured, simulated};
  if (m.contains("latency_ms") && m["latency_ms"].is_object() &&
      m["latency_ms"].value("p50", nlohmann::json()).is_number())
    a.latency_p50_ms = Figure{m["latency_ms"]["p50"].get<double>(), Source::measured, simulated};
  a.cost_basis = m.value("cost_basis", std::string("measured tokens x catalogue price"));
  if (cost_kind(m) == "hosting_fixed" && m.contains("usd_per_month") &&
      m["usd_per_month"].is_number()) {
    // eval prices self-hosting as instances running all month, whatever the traffic: the hosting
    // price as assumed, or an estimate when the measured throughput raised the instances (files
    // from before cost_provenance said so are taken as estimates).
    bool assumed_bill = m.contains("cost_provenance") && m["cost_provenance"] == "assumed";
    if (m.contains("cost_notes") && m["cost_notes"].is_array())
      for (const auto& note : m["cost_notes"])
        a.hosting_sized_to_volume =
            a.hosting_sized_to_volume ||
            (note.is_string() && note.get<std::string>().starts_with("volume needs "));
    a.hosting_usd_per_month = Figure{m["usd_per_month"].get<double>(),
                                     assumed_bill ? Source::assumed : Source::estimated, false};
    a.usd_per_query = Figure{0.0, Source::estimated, false};
  } else if (m.contains("usd_per_1k") && m["usd_per_1k"].is_number()) {
    a.usd_per_query = Figure{m["usd_per_1k"].get<double>() / 1000, Source::estimated, simulated};
  } else {
    a.usd_per_query = unknown(Source::estimated);
    a.usd_per_query.simulated = simulated;
  }
}

// A self-hosted approach that eval could not give a monthly bill (no volume in its config).
// The hosting table eval priced the approach from (eval.json's "hosting"); nullopt when eval
// had none or wrote no such record.
std::optional<HostingSettings> recorded_hosting(const nlohmann::json& m) {
  auto h = m.find("hosting");
  if (h == m.end() || !h->is_object()) return std::nullopt;
  auto number = [&](const char* key) -> std::optional<double> {
    auto v = h->find(key);
    if (v == h->end() || !v->is_number()) return std::nullopt;
    return v->get<double>();
  };
  HostingSettings s;
  s.usd_per_hour = number("usd_per_hour");
  s.usd_per_month = number("usd_per_month");
  s.throughput_per_s = number("throughput_per_s");
  s.instances = static_cast<int>(number("instances").value_or(1));
  s.billing = h->value("billing", std::string("fixed"));
  if (s.instances < 1 || (s.billing != "fixed" && s.billing != "per_query")) return std::nullopt;
  return s;
}

bool unpriced_fixed_bill(const nlohmann::json& m) {
  return cost_kind(m) == "hosting_fixed" &&
         !(m.contains("usd_per_month") && m["usd_per_month"].is_number());
}

void read_assumed_quality(ApproachInputs& a, const ApproachCostSettings& p,
                          const std::string& where, bool harmful_mode) {
  if (harmful_mode) {
    if (!p.harmful_error_rate) {
      throw UserError(
          fmt::format("{} harmful_error_rate is missing: other approaches give it, so "
                      "every approach needs it (share of queries that cause an "
                      "incident, e.g. 0.02)",
                      where));
    }
    a.error_rate = assumed(*p.harmful_error_rate);
  } else {
    if (!p.accuracy) {
      throw UserError(
          fmt::format("{} accuracy is missing: without --eval every approach needs an "
                      "assumed accuracy (e.g. accuracy = 0.84) or harmful_error_rate",
                      where));
    }
    a.accuracy = assumed(*p.accuracy);
    a.error_rate = assumed(1 - *p.accuracy);
  }
  a.error_rate_low = a.error_rate_high = a.error_rate;
}

// The configured hosting table, priced by the formula eval uses too (hosting_cost.h): a fixed
// monthly bill, or a price per query from the throughput (measured, else hosting.throughput_per_s).
void read_hosting(ApproachInputs& a, const HostingSettings& h, const BusinessInputs& b,
                  const std::string& where) {
  if (h.throughput_per_s) a.throughput_per_s = assumed(*h.throughput_per_s);
  double throughput = a.throughput_per_s.known() ? a.throughput_per_s.get() : 0;
  if (h.billing == "per_query" && throughput <= 0) {
    throw UserError(where +
                    " hosting: billing = \"per_query\" needs a throughput: run tunecase eval "
                    "(measured) or add throughput_per_s (queries per second per instance)");
  }
  HostingBill bill =
      hosting_bill(h, throughput, b.queries_per_month.get(), b.days_per_month, b.utilisation.get());
  a.cost_basis = bill.basis;
  if (h.billing == "per_query") {
    // A price over a measured throughput is an estimate; over a typed one, an assumption.
    Figure basis = combine(a.throughput_per_s, b.utilisation, 0);
    Source source =
        a.throughput_per_s.source == Source::measured ? Source::estimated : Source::assumed;
    a.usd_per_query = Figure{bill.usd_per_query.value_or(0), source, basis.simulated};
    a.hosting_usd_per_month = assumed(0);
    return;
  }
  // Fixed: the bill is assumed as typed; raised to the instances the volume needs it is an
  // estimate from the measured throughput.
  bool raised = bill.from_throughput;
  a.hosting_sized_to_volume = raised;
  a.hosting_usd_per_month = Figure{
      bill.usd_per_month.value_or(0),
      raised && a.throughput_per_s.source == Source::measured ? Source::estimated : Source::assumed,
      raised && a.throughput_per_s.simulated};
  a.usd_per_query = assumed(0);
}

Figure cost_key(ApproachInputs& a, const std::optional<double>& value, const char* key,
                double fallback) {
  if (value) return assumed(*value);
  a.defaults_used.push_back(key);
  return assumed(fallback);
}

// A fine-tuned model's training cost, measured by `tunecase finetune` (finetune.json): what the
// job cost (simulated when sim-llm ran it; unknown when the catalogue had no price), and a
// retraining priced as one more job of the same size unless the config says otherwise.
void read_finetune_record(ApproachInputs& a, const ApproachCostSettings& p,
                          const std::string& model_called, const std::string& where) {
  const std::string file = p.finetune_record.string();
  refuse_folder_as_file(p.finetune_record,
                        fmt::format("a finetune.json ({}: finetune_record)", where));
  std::ifstream in(p.finetune_record);
  nlohmann::json record = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  if (!record.is_object()) {
    throw UserError(fmt::format(
        "{}: finetune_record {}: {}; run `tunecase finetune` for this approach or remove the key",
        where, file, in ? "not a finetune.json (invalid JSON)" : "cannot read it"));
  }
  // A JSON object with no job is no record `tunecase finetune` wrote (following a job had been
  // advised for one that never existed).
  if (!record.contains("job") || !record["job"].is_object())
    throw UserError(fmt::format(
        "{}: finetune_record {}: not a finetune.json (no \"job\": `tunecase finetune` writes one "
        "in its --out folder); point the key at that file or remove it",
        where, file));
  const nlohmann::json& job = record.value("job", nlohmann::json::object());
  const nlohmann::json model =
      job.is_object() ? job.value("fine_tuned_model", nlohmann::json()) : nlohmann::json();
  if (!model.is_string() || model.get<std::string>().empty()) {
    const std::string status = job.is_object() ? job.value("status", std::string()) : std::string();
    if (status == "failed" || status == "cancelled") {
      std::string why = job.contains("error") && job["error"].is_object()
                            ? job["error"].value("message", std::string())
                            : std::string();
      throw UserError(fmt::format(
          "{}: finetune_record {}: job {} {} without a model{}; running `tunecase finetune` again "
          "starts, and asks to pay for, a new job; or remove the key",
          where, file, job.value("id", std::string("?")), status, why.empty() ? "" : ": " + why));
    }
    throw UserError(fmt::format(
        "{}: finetune_record {}: the job has not produced a model yet; run `tunecase finetune` "
        "again to follow it",
        where, file));
  }
  // A record pasted from another run (another fraction, other settings) would price this model
  // with another job's cost and describe it with another job's training data.
  if (!model_called.empty() && model.get<std::string>() != model_called) {
    throw UserError(fmt::format(
        "{}: finetune_record {} is the record of job {}, which produced the model {}, but this "
        "approach calls {}; point finetune_record at the finetune.json of the job that produced "
        "{} (the approach.toml beside it has both keys), or remove the key",
        where, file, job.value("id", std::string("?")), model.get<std::string>(), model_called,
        model_called));
  }
  const bool simulated = record.value("training_usd_is", "") == "simulated";
  ApproachInputs::FinetuneRun run;
  run.base_model = record.value("base_model", std::string());
  run.fraction = record.value("fraction", 1.0);
  if (record.contains("data") && record["data"].is_object()) {
    run.train_examples = record["data"].value("train_examples", int64_t{0});
    run.train_split = record["data"].value("train_split", int64_t{0});
  }
  a.finetune = run;
  // "estimated": the provider reported no trained tokens, and the estimate stands in.
  const Source billed =
      record.value("training_usd_is", "") == "estimated" ? Source::estimated : Source::measured;
  Figure cost = record["training_usd"].is_number()
                    ? Figure{record["training_usd"].get<double>(), billed, simulated}
                    : unknown(Source::measured);
  auto drop_default = [&](const char* key) { std::erase(a.defaults_used, std::string(key)); };
  a.training_usd = cost;
  drop_default("training_usd");
  if (!p.retrain_usd) {
    a.retrain_usd = Figure{cost.value, Source::estimated, simulated};
    drop_default("retrain_usd");
  }
}

}  // namespace

// A price typed in the approach's table now, other than the rates eval priced the measured
// tokens at (a negotiated discount, a provider's change): the measured cost per query is priced
// again at it, as docs/decide.md says price may change freely; the memo had kept eval's figure
// and its "catalogue price" basis. Scaled by the measured mean tokens in and out, so a cached
// share of the input keeps its proportion.
void reprice_at_config_price(ApproachInputs& a, const ApproachConfig& config,
                             const nlohmann::json& m) {
  if (!config.is_llm() || !config.llm.price || !a.usd_per_query.known()) return;
  const auto runner = m.find("runner");
  if (runner == m.end() || !runner->is_object()) return;
  const auto then = runner->find("price");
  if (then == runner->end() || !then->is_object()) return;
  const double in0 = then->value("input_per_mtok", -1.0),
               out0 = then->value("output_per_mtok", -1.0);
  const PriceOverride& now = *config.llm.price;
  const bool cached_moved =
      now.cached_input && *now.cached_input != then->value("cached_input_per_mtok", -1.0);
  if (in0 < 0 || out0 < 0 || (in0 == now.input && out0 == now.output && !cached_moved)) return;
  const double tin = m.value("tokens_in_mean", 0.0), tout = m.value("tokens_out_mean", 0.0);
  const double before = tin * in0 + tout * out0;
  if (before <= 0) return;
  a.usd_per_query.value = a.usd_per_query.get() * (tin * now.input + tout * now.output) / before;
  a.cost_basis = fmt::format(
      "measured tokens x the price typed in the config now ({} in / {} out per 1M), eval "
      "having priced them at {} / {}",
      usd_amount(now.input), usd_amount(now.output), usd_amount(in0), usd_amount(out0));
}

bool is_trained(const ApproachConfig& config) {
  if (config.costs.trained) return *config.costs.trained;
  if (config.is_local()) return true;  // every local kind is trained on the labels and hosted
  return config.costs.hosting.has_value() || config.costs.training_usd.has_value() ||
         !config.costs.finetune_record.empty();
}

ApproachInputs read_approach(const ApproachConfig& config, const nlohmann::json* measured,
                             const BusinessInputs& business, const std::string& origin) {
  std::string where = fmt::format("{}: [[approach]] '{}'",
                                  config.where.empty() ? origin : config.where, config.name);
  const ApproachCostSettings& p = config.costs;
  ApproachInputs a;
  a.name = config.name;
  a.kind = config.kind;
  a.trained = is_trained(config);
  a.self_hosted = config.is_local() || config.costs.hosting.has_value();
  if (measured) {
    read_measured(a, *measured, where);
    reprice_at_config_price(a, config, *measured);
  } else {
    read_assumed_quality(a, p, where, business.harmful_mode);
    a.usd_per_query = unknown(Source::assumed);
    // Nothing measured in scenario mode: unknown, and not tagged "measured".
    a.latency_p50_ms = unknown(Source::assumed);
    a.throughput_per_s = unknown(Source::assumed);
  }
  if (p.hosting) {
    read_hosting(a, *p.hosting, business, where);
  } else if (std::optional<HostingSettings> recorded =
                 measured ? recorded_hosting(*measured) : std::nullopt) {
    // The hosting table eval priced (eval.json's "hosting"), priced again at decide's
    // [business]: eval's bill had stayed at eval's days_per_month while its label said
    // "instances x $/hour, running all month".
    read_hosting(a, *recorded, business, where);
  } else if (measured &&
             (unpriced_fixed_bill(*measured) || (cost_kind(*measured) == "hosting_fixed" &&
                                                 measured->value("hosting_assumed", false)))) {
    // eval ran without a volume: its $ per 1k is one instance at full load, a figure for
    // comparing throughput, not a bill. The bill is an instance running all month, priced as
    // eval prices one ($0.10/hour assumed, more instances if the volume needs them). The
    // assumed instance eval priced is priced again too, at decide's [business] (days_per_month,
    // volume), as a typed hosting table is: eval's bill had stayed at eval's days_per_month, so
    // two identical models, one with the default written out, cost differently.
    read_hosting(a, HostingSettings{}, business, where);
  }
  // Self-hosted without a hosting table: the bill is the assumed default instance.
  if (!p.hosting && measured && measured->contains("hosting_assumed") &&
      (*measured)["hosting_assumed"] == true)
    a.defaults_used.push_back("hosting");
  if (p.usd_per_query) {
    // An explicit price replaces eval's estimate; with hosting it is paid on top of it.
    if (p.hosting) {
      a.usd_per_query = combine(a.usd_per_query, assumed(*p.usd_per_query),
                                a.usd_per_query.get() + *p.usd_per_query);
      a.cost_basis += " + assumed price per query";
    } else {
      a.usd_per_query = assumed(*p.usd_per_query);
      a.cost_basis = "assumed price per query";
    }
  }
  if (!a.hosting_usd_per_month.known()) a.hosting_usd_per_month = assumed(0);
  a.training_usd = cost_key(a, p.training_usd, "training_usd", 0);
  a.engineering_weeks = cost_key(a, p.engineering_weeks, "engineering_weeks", 0);
  a.retrain_every_months = cost_key(a, p.retrain_every_months, "retrain_every_months", 0);
  a.retrain_usd = cost_key(a, p.retrain_usd, "retrain_usd", 0);
  a.maintenance_weeks_per_month =
      cost_key(a, p.maintenance_weeks_per_month, "maintenance_weeks_per_month", 0);
  a.time_to_ship_weeks = cost_key(a, p.time_to_ship_weeks, "time_to_ship_weeks", 0);
  a.monitoring_usd_per_month = p.monitoring_usd_per_month ? assumed(*p.monitoring_usd_per_month)
                                                          : business.monitoring_usd_per_month;
  if (!p.finetune_record.empty()) read_finetune_record(a, p, config.llm.model, where);
  return a;
}

}  // namespace tunecase::econ
