#include "tunecase/economics/inputs.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/config/approach_kinds.h"
#include "tunecase/config/config.h"
#include "tunecase/config/privacy_policy.h"
#include "tunecase/core/error.h"
#include "tunecase/economics/approach_inputs.h"
#include "tunecase/economics/business_inputs.h"

namespace tunecase::econ {
namespace {

const nlohmann::json* find_measured(const nlohmann::json& eval, const std::string& name) {
  if (!eval.contains("approaches") || !eval["approaches"].is_array()) return nullptr;
  for (const auto& a : eval["approaches"]) {
    if (a.value("name", std::string()) == name) return &a;
  }
  return nullptr;
}

bool any_harmful_rate(const ProjectConfig& config) {
  for (const auto& a : config.approaches) {
    if (a.costs.harmful_error_rate) return true;
  }
  return false;
}

// Approaches in eval.json that the config does not list are still compared (they were measured).
std::vector<ApproachConfig> approaches_to_compare(const ProjectConfig& config,
                                                  const nlohmann::json* eval,
                                                  const std::string& origin) {
  std::vector<ApproachConfig> out = config.approaches;
  if (!eval) return out;
  for (const auto& a : out) {
    if (!find_measured(*eval, a.name)) {
      throw UserError(fmt::format(
          "{}: approach '{}' is in the config but not in eval.json; re-run tunecase eval with "
          "this config, or remove the approach",
          origin, a.name));
    }
  }
  for (const auto& m : (*eval)["approaches"]) {
    std::string name = m.value("name", std::string());
    bool listed = false;
    for (const auto& a : out) listed = listed || a.name == name;
    if (listed) continue;
    std::string kind = m.value("kind", std::string());
    out.push_back(default_approach(name, find_kind(kind) ? kind : "openai"));
  }
  return out;
}

// An approach scored on part of the test split is not a measurement of the whole: refused unless
// the user accepts it (and the memo then names it as a risk).
void check_partial(const std::vector<ApproachInputs>& approaches, const std::string& origin) {
  std::vector<std::string> partial, failing;
  for (const auto& a : approaches) {
    if (!a.partial.empty()) partial.push_back(fmt::format("{} ({})", a.name, a.partial));
    if (a.failed_share > kMostFailedShare)
      failing.push_back(fmt::format("{} ({})", a.name, a.failures));
  }
  if (!partial.empty())
    throw UserError(fmt::format(
        "{}: eval.json has approaches that did not score every test item: {}. Their accuracy is "
        "measured on part of the test split only; re-run tunecase eval with a larger --max-cost "
        "(answers already paid for come from the cache), or pass --accept-partial to decide on "
        "them anyway (the memo then lists it as a risk)",
        origin, fmt::join(partial, "; ")));
  // An endpoint that failed (down, rate limits, errors) makes an approach look worse than it
  // is: its accuracy counts each failed request as a wrong answer.
  if (!failing.empty())
    throw UserError(fmt::format(
        "{}: eval.json has approaches whose requests failed: {}. Their accuracy counts those "
        "as wrong answers, so it measures the endpoint's failures as much as the approach; "
        "re-run tunecase eval when the endpoint answers (answers already paid for come from "
        "the cache), or pass --accept-partial to decide on them anyway (the memo then lists it "
        "as a risk)",
        origin, fmt::join(failing, "; ")));
}

}  // namespace

const ApproachInputs* Scenario::approach_named(const std::string& name) const {
  for (const ApproachInputs& a : approaches)
    if (a.name == name) return &a;
  return nullptr;
}

size_t Scenario::baseline_index() const {
  for (size_t i = 0; i < approaches.size(); ++i) {
    if (approaches[i].name == business.baseline) return i;
  }
  return 0;
}

std::vector<std::pair<std::string, Figure*>> Scenario::assumed_inputs() {
  std::vector<std::pair<std::string, Figure*>> out;
  auto add = [&out](const std::string& label, Figure& f) {
    if (f.source == Source::assumed && f.known() && f.get() != 0) out.emplace_back(label, &f);
  };
  add("queries per month", business.queries_per_month);
  add(business.harmful_mode ? "cost per incident" : "cost per error", business.cost_per_error);
  add("engineer $ per week", business.engineer_usd_per_week);
  add("horizon months", business.horizon_months);
  for (auto& a : approaches) {
    std::string p = a.name + ": ";
    add(p + (business.harmful_mode ? "harmful-error rate" : "error rate"), a.error_rate);
    add(p + "$ per query", a.usd_per_query);
    add(p + "hosting $ per month", a.hosting_usd_per_month);
    add(p + "training $", a.training_usd);
    add(p + "engineering weeks", a.engineering_weeks);
    add(p + "retrain $", a.retrain_usd);
    add(p + "maintenance weeks per month", a.maintenance_weeks_per_month);
    add(p + "monitoring $ per month", a.monitoring_usd_per_month);
    add(p + "time to ship weeks", a.time_to_ship_weeks);
  }
  return out;
}

namespace {

// Checklist question 6 from [privacy]: the team that redacts or keeps data local is sensitive to
// data leaving; which approaches keep data in follows from each endpoint (privacy_policy.h).
void answer_data_question(const ProjectConfig& config, const std::vector<ApproachConfig>& list,
                          BusinessInputs& b) {
  const PrivacySettings& p = config.privacy;
  if (!p.present) return;
  std::string in, out;
  for (const auto& a : list) {
    std::string& side = approach_locality(a, p).local ? in : out;
    side += (side.empty() ? "" : ", ") + a.name;
  }
  std::string policy = p.local_only ? "local_only = true" : "local_only = false";
  if (!p.redact.empty()) {
    std::string kinds;
    for (const auto& k : p.redact) kinds += (kinds.empty() ? "" : ", ") + k;
    policy += fmt::format(", redact = [{}]", kinds);
  }
  b.data_evidence = fmt::format("[privacy] {}; data stays in: {}; data leaves: {}", policy,
                                in.empty() ? "none" : in, out.empty() ? "none" : out);
  if (!b.data_sensitive) {
    b.data_sensitive = p.local_only || !p.rules.empty();
    b.data_sensitive_from_privacy = true;
  }
}

}  // namespace

Figure error_cost(const ApproachInputs& a, const BusinessInputs& b) {
  if (!a.mean_error_cost_usd) return b.cost_per_error;
  const double scale =
      b.cost_per_error_as_given > 0 ? b.cost_per_error.get() / b.cost_per_error_as_given : 1.0;
  // The errors' mix is the approach's measurement: sim-llm's makes the mean simulated too.
  return Figure{*a.mean_error_cost_usd * scale, b.cost_per_error.source,
                b.cost_per_error.simulated || a.accuracy.simulated};
}

namespace {

// [business] cost_per_error_by_label: each approach's errors on the test split priced by their
// true labels, averaged into the mean cost of one of its errors. An approach without errors is
// priced as if its errors fell like the test split's items. Needs eval's per-label figures: typed
// accuracies say nothing of which labels the errors fall on.
void apply_label_costs(Scenario& s, const std::string& origin) {
  const BusinessInputs& b = s.business;
  if (b.cost_by_label.empty()) return;
  const std::string where = b.cost_by_label_where.empty() ? origin : b.cost_by_label_where;
  if (!s.from_eval)
    throw UserError(fmt::format(
        "{}: [business] cost_per_error_by_label prices errors by their true label, which needs "
        "the per-label figures of `tunecase eval`: pass --eval DIR, or leave the per-label "
        "costs out for a scenario on typed accuracies",
        where));
  std::set<std::string> labels;
  for (const ApproachInputs& a : s.approaches)
    for (const auto& [label, n] : a.support_by_label) labels.insert(label);
  if (auto refused = unknown_cost_label(b.cost_by_label, {labels.begin(), labels.end()},
                                        "no test item of eval.json", "the test split's labels"))
    throw UserError(fmt::format("{}: {}", where, *refused));
  const double flat = b.cost_per_error.get();
  auto cost_of_label = [&](const std::string& label) {
    return error_cost_of_label(b.cost_by_label, flat, label);
  };
  for (ApproachInputs& a : s.approaches) {
    if (a.support_by_label.empty())
      throw UserError(fmt::format(
          "{}: [business] cost_per_error_by_label needs each approach's per-label figures, and "
          "eval.json has none for '{}'; run `tunecase eval` again",
          where, a.name));
    double errors = 0, usd = 0, items = 0, items_usd = 0;
    for (const auto& [label, n] : a.support_by_label) {
      const double wrong = static_cast<double>(a.errors_by_label[label]);
      errors += wrong;
      usd += wrong * cost_of_label(label);
      items += static_cast<double>(n);
      items_usd += static_cast<double>(n) * cost_of_label(label);
    }
    a.mean_error_cost_usd = errors > 0 ? usd / errors : items > 0 ? items_usd / items : flat;
    a.mean_error_cost_assumed_mix = errors <= 0;
  }
}

}  // namespace

Scenario read_scenario(const ProjectConfig& config, const nlohmann::json* eval,
                       bool accept_partial) {
  std::string origin = config.file.empty() ? "config" : config.file.string();
  Scenario s;
  s.from_eval = eval != nullptr;
  bool harmful = !s.from_eval && any_harmful_rate(config);
  s.business = read_business(config.business, origin, harmful);
  std::vector<ApproachConfig> list = approaches_to_compare(config, eval, origin);
  if (list.empty()) {
    throw UserError(
        fmt::format("{}: no approaches to compare; add [[approach]] tables or pass "
                    "--eval DIR from tunecase eval",
                    origin));
  }
  for (const auto& a : list) {
    const nlohmann::json* m = eval ? find_measured(*eval, a.name) : nullptr;
    s.approaches.push_back(read_approach(a, m, s.business, origin));
    s.simulated = s.simulated || s.approaches.back().accuracy.simulated;
    // Scenario-mode figures typed beside a measurement: the measurement prices the errors.
    for (const auto& [key, value] : {std::pair{"accuracy", a.costs.accuracy},
                                     std::pair{"harmful_error_rate", a.costs.harmful_error_rate}})
      if (m && value)
        s.ignored_inputs.push_back(fmt::format(
            "[[approach]] '{}' sets {} = {}, which decide does not use with --eval: its errors "
            "are the ones measured on the test split, each priced at {}. Remove the key, or run "
            "decide without --eval for a scenario on typed figures.",
            a.name, key, *value,
            config.business.cost_per_error_usd
                ? "[business] cost_per_error_usd"
                : "the cost of an error ([business] harmful_error_rate x cost_per_incident_usd)"));
  }
  if (!accept_partial) check_partial(s.approaches, origin);
  apply_label_costs(s, origin);
  answer_data_question(config, list, s.business);
  if (s.business.baseline.empty()) s.business.baseline = s.approaches.front().name;
  bool found = false;
  for (const auto& a : s.approaches) found = found || a.name == s.business.baseline;
  if (!found) {
    throw UserError(
        fmt::format("{}: [business] baseline = \"{}\" is not an approach; use one of "
                    "the [[approach]] names",
                    origin, s.business.baseline));
  }
  if (eval) {
    s.pairwise = eval->value("pairwise", nlohmann::json::array());
    if (eval->contains("dataset")) {
      const auto& d = (*eval)["dataset"];
      double n = d.value("train", 0.0) + d.value("dev", 0.0) + d.value("test", 0.0);
      s.business.labelled_examples = Figure{n, Source::measured, false};
      if (d.contains("quality")) s.data_quality = d["quality"];
      if (d.contains("thin_train_labels") && d["thin_train_labels"].is_array())
        for (const auto& label : d["thin_train_labels"])
          if (label.is_string()) s.thin_train_labels.push_back(label.get<std::string>());
      if (d.contains("label_variants") && d["label_variants"].is_array() &&
          !d.value("labels_normalized", false))
        for (const auto& group : d["label_variants"]) {
          if (!group.is_object() || !group.contains("spellings") || !group["spellings"].is_object())
            continue;
          std::vector<std::pair<int64_t, std::string>> spellings;
          for (const auto& [spelling, rows] : group["spellings"].items())
            if (rows.is_number_integer()) spellings.emplace_back(-rows.get<int64_t>(), spelling);
          std::sort(spellings.begin(), spellings.end());
          std::vector<std::string> said;
          for (const auto& [rows, spelling] : spellings)
            said.push_back(
                fmt::format("\"{}\" ({} row{})", spelling, -rows, rows == -1 ? "" : "s"));
          if (said.size() > 1)
            s.label_variant_groups.push_back(fmt::format("{}", fmt::join(said, ", ")));
        }
      if (d.contains("test_labels_unseen_in_train") && d["test_labels_unseen_in_train"].is_array())
        for (const auto& label : d["test_labels_unseen_in_train"])
          if (label.is_string()) s.test_labels_unseen.push_back(label.get<std::string>());
      s.test_rows_unseen = d.value("test_rows_unseen_in_train", int64_t{0});
      s.test_rows = d.value("test", int64_t{0});
      const nlohmann::json& floor = d.value("majority_baseline", nlohmann::json());
      if (floor.is_object() && floor.value("accuracy", nlohmann::json()).is_number() &&
          floor.value("label", nlohmann::json()).is_string())
        s.majority = Scenario::MajorityFloor{floor["label"].get<std::string>(),
                                             floor["accuracy"].get<double>()};
    }
  }
  return s;
}

}  // namespace tunecase::econ
