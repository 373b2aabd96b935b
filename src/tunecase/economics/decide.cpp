#include "tunecase/economics/decide.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "tunecase/config/measured_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/economics/decision_json.h"
#include "tunecase/economics/memo.h"
#include "tunecase/economics/memo_html.h"
#include "tunecase/economics/money.h"

namespace tunecase {
namespace {

// The measured figures decide builds on must be possible ones: an accuracy outside [0, 1] or
// outside its own interval (an edited or damaged eval.json) would print "170.0%" and negative
// error counts in the memo and could be recommended.
void check_measured_figures(const nlohmann::json& eval, const std::filesystem::path& file) {
  for (const auto& a : eval["approaches"]) {
    if (!a.is_object() || !a.contains("accuracy")) continue;  // read_scenario names the gap
    if (a["accuracy"].is_null() && a.value("scored", -1.0) == 0) continue;  // it names this too
    std::string name = a.contains("name") && a["name"].is_string() ? a["name"].get<std::string>()
                                                                   : std::string("?");
    std::string where = fmt::format("{}: approach '{}'", file.string(), name);
    auto fail = [&](const std::string& what) {
      throw UserError(
          fmt::format("{}: {}; eval.json was damaged or edited: re-run tunecase eval to rewrite it",
                      where, what));
    };
    const nlohmann::json& acc = a["accuracy"];
    if (!acc.is_number() || !std::isfinite(acc.get<double>()) || acc.get<double>() < 0 ||
        acc.get<double>() > 1)
      fail(fmt::format("accuracy {} is not a share between 0 and 1", acc.dump()));
    if (!a.contains("accuracy_ci95")) continue;
    const nlohmann::json& ci = a["accuracy_ci95"];
    if (!ci.is_array() || ci.size() != 2 || !ci[0].is_number() || !ci[1].is_number())
      fail(fmt::format("accuracy_ci95 {} is not two numbers [low, high]", ci.dump()));
    double value = acc.get<double>(), lo = ci[0].get<double>(), hi = ci[1].get<double>();
    constexpr double kRounding = 1e-9;
    if (!(lo >= -kRounding && lo <= value + kRounding && value <= hi + kRounding &&
          hi <= 1 + kRounding))
      fail(
          fmt::format("accuracy {} lies outside its own 95% interval {} (or the interval "
                      "outside [0, 1])",
                      acc.dump(), ci.dump()));
  }
}

// A learning curve is quoted as evidence of this data: its accuracies are accuracies, and it
// was measured on the data and split eval measured (or, without an eval, the config's). A
// curve.json from before the data settings were recorded is compared by its train size alone.
void check_curve(const nlohmann::json& curve, const nlohmann::json* eval,
                 const ProjectConfig& config) {
  auto accuracy = [](const nlohmann::json& v) {
    return v.is_number() && v.get<double>() >= 0 && v.get<double>() <= 1;
  };
  for (const auto& a : curve["approaches"]) {
    if (!a.is_object()) continue;
    const std::string name = a.value("name", std::string("?"));
    for (const auto& p : a.value("points", nlohmann::json::array()))
      if (p.is_object() && p.contains("mean_accuracy") && !accuracy(p["mean_accuracy"]))
        throw UserError(fmt::format(
            "--curve: curve.json gives '{}' a mean accuracy of {} at {} labels, not an accuracy "
            "between 0 and 1; the file was edited or damaged: run tunecase curve again",
            name, p["mean_accuracy"].dump(), p.value("labels", nlohmann::json()).dump()));
    const nlohmann::json fit = a.value("fit", nlohmann::json::object());
    for (const char* key : {"projection_2x", "projection_4x"})
      if (fit.contains(key) && fit[key].is_object() && fit[key].contains("accuracy") &&
          !accuracy(fit[key]["accuracy"]))
        throw UserError(fmt::format(
            "--curve: curve.json gives '{}' a {} of {}, not an accuracy between 0 and 1; the "
            "file was edited or damaged: run tunecase curve again",
            name, key, fit[key]["accuracy"].dump()));
  }
  if (!curve.contains("data_settings")) return;
  const bool against_eval = eval != nullptr && eval->contains("dataset") &&
                            (*eval)["dataset"].is_object() &&
                            (*eval)["dataset"].contains("settings");
  const nlohmann::json reference =
      against_eval ? (*eval)["dataset"]["settings"] : measured_data_settings(config.data);
  std::vector<std::string> differences =
      settings_differences(curve["data_settings"], reference, "[data]");
  if (differences.empty()) return;
  std::string list;
  for (std::size_t i = 0; i < differences.size() && i < 6; ++i) list += "\n  - " + differences[i];
  throw UserError(fmt::format(
      "--curve: the learning curve was measured on other data or another split than {} (\"when "
      "measured\" below is the curve's):{}\nRun tunecase curve with the config {}, or leave out "
      "--curve",
      against_eval ? "--eval's eval.json" : "this config's [data]", list,
      against_eval ? "eval ran with" : "decide reads"));
}

// A learning curve quoted beside an eval must come from the same training split: its train size
// is the one eval trained on, or the curve describes other data.
void check_curve_matches_eval(const nlohmann::json& curve, const nlohmann::json& eval) {
  if (!curve.contains("train_labels") || !curve["train_labels"].is_number()) return;
  if (!eval.contains("dataset") || !eval["dataset"].is_object() ||
      !eval["dataset"].contains("train") || !eval["dataset"]["train"].is_number())
    return;
  auto curve_train = curve["train_labels"].get<int64_t>();
  auto eval_train = eval["dataset"]["train"].get<int64_t>();
  if (curve_train == eval_train) return;
  throw UserError(fmt::format(
      "--curve: the learning curve was measured on a train split of {} labels, but --eval's "
      "eval.json trained on {}: they come from different data or splits; run tunecase curve "
      "with the config eval ran with, or leave out --curve",
      econ::count(static_cast<double>(curve_train)), econ::count(static_cast<double>(eval_train))));
}

// What changed in the config since eval measured it: [data] (its files' content included) and
// each measured approach's settings. eval.json from before the settings were recorded has
// nothing to compare.
std::vector<std::string> changed_since_eval(const ProjectConfig& config,
                                            const nlohmann::json& eval) {
  std::vector<std::string> changed;
  const nlohmann::json* data = nullptr;
  if (eval.contains("dataset") && eval["dataset"].is_object() &&
      eval["dataset"].contains("settings"))
    data = &eval["dataset"]["settings"];
  if (data != nullptr)
    for (auto& d : settings_differences(*data, measured_data_settings(config.data), "[data]"))
      changed.push_back(std::move(d));
  // What every LLM prompt carries: a task or label description edited since eval changes every
  // prompt, and had passed unnoticed (recorded since 2026-12-07; an older eval.json has none).
  const bool prompts = std::any_of(config.approaches.begin(), config.approaches.end(),
                                   [](const ApproachConfig& a) { return a.is_llm(); });
  if (prompts && eval.contains("dataset") && eval["dataset"].is_object() &&
      eval["dataset"].contains("prompt_settings"))
    for (auto& d : settings_differences(eval["dataset"]["prompt_settings"],
                                        measured_prompt_settings(config), "prompts:"))
      changed.push_back(std::move(d));
  for (const auto& a : config.approaches) {
    for (const auto& m : eval["approaches"]) {
      if (!m.is_object() || m.value("name", std::string()) != a.name || !m.contains("settings"))
        continue;
      for (auto& d : settings_differences(m["settings"], measured_approach_settings(a),
                                          fmt::format("approach '{}':", a.name)))
        changed.push_back(std::move(d));
    }
  }
  return changed;
}

// What eval.json does not record to compare the config with (an eval.json of an older tunecase,
// or edited): said under the memo's risks, since the check was skipped for it.
std::vector<std::string> not_comparable(const ProjectConfig& config, const nlohmann::json& eval) {
  std::vector<std::string> out;
  if (!eval.contains("dataset") || !eval["dataset"].is_object() ||
      !eval["dataset"].contains("settings"))
    out.push_back("[data]");
  if (!eval.contains("approaches") || !eval["approaches"].is_array()) return out;
  for (const auto& a : config.approaches)
    for (const auto& m : eval["approaches"])
      if (m.is_object() && m.value("name", std::string()) == a.name && !m.contains("settings"))
        out.push_back(fmt::format("approach '{}'", a.name));
  return out;
}

void refuse_changed(const std::vector<std::string>& changed, const std::filesystem::path& origin) {
  constexpr std::size_t kShown = 6;
  std::string list;
  for (std::size_t i = 0; i < changed.size() && i < kShown; ++i) list += "\n  - " + changed[i];
  if (changed.size() > kShown) list += fmt::format("\n  - and {} more", changed.size() - kShown);
  throw UserError(fmt::format(
      "{}: the config differs from the one eval measured with, so eval.json's figures are not "
      "measurements of these settings:{}\nRe-run tunecase eval with this config, or pass "
      "--accept-changed to decide on the measurements as they are (the memo names the "
      "differences under its risks)",
      origin.empty() ? "config" : origin.string(), list));
}

// A parse error where it is and why, without the JSON library's exception name
// ("[json.exception.parse_error.101]").
std::string parse_error_words(const nlohmann::json::parse_error& e) {
  std::string what = e.what();
  const auto at = what.find("line ");
  return at == std::string::npos ? what : what.substr(at);
}

}  // namespace

DecisionResult run_decide(const ProjectConfig& config, const nlohmann::json* eval,
                          const std::filesystem::path& out_dir, const nlohmann::json* curve,
                          bool accept_partial, bool accept_changed) {
  if (curve != nullptr) check_curve(*curve, eval, config);
  if (curve != nullptr && eval != nullptr) check_curve_matches_eval(*curve, *eval);
  std::vector<std::string> changed;
  if (eval != nullptr) changed = changed_since_eval(config, *eval);
  if (!changed.empty() && !accept_changed) refuse_changed(changed, config.file);
  econ::Scenario scenario = econ::read_scenario(config, eval, accept_partial);
  scenario.changed_since_eval = std::move(changed);
  if (eval != nullptr) scenario.not_comparable_with_eval = not_comparable(config, *eval);
  if (curve != nullptr) scenario.curve = *curve;
  econ::Decision d = econ::decide(std::move(scenario));
  d.operation_plan = config.monitor.present || config.retrain.present;
  DecisionResult result;
  result.decision = econ::decision_json(d);
  result.memo_md = econ::memo_markdown(d);
  result.memo_html = econ::memo_html(d);
  result.recommendation = d.pick;
  create_output_dir(out_dir);
  write_files({{out_dir / "decision.json", result.decision.dump(2) + "\n"},
               {out_dir / "memo.md", result.memo_md},
               {out_dir / "memo.html", result.memo_html}});
  return result;
}

nlohmann::json load_eval_json(const std::filesystem::path& dir_or_file) {
  std::filesystem::path file = dir_or_file;
  if (std::filesystem::is_directory(file)) file /= "eval.json";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec) &&
      std::filesystem::exists(file.parent_path() / ".earlier-run" / "eval.json", ec))
    throw UserError(fmt::format(
        "{}: no eval.json here: an eval on this folder was stopped part-way (killed), and the "
        "earlier run's results are set aside in {}; run the same `tunecase eval` again (it puts "
        "them back first), then decide",
        file.string(), (file.parent_path() / ".earlier-run").string()));
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw UserError(
        fmt::format("{}: no eval.json here; run tunecase eval --out DIR first and "
                    "pass that DIR to --eval",
                    file.string()));
  }
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    if (!j.contains("approaches") || !j["approaches"].is_array())
      throw UserError(
          fmt::format("{}: has no \"approaches\" list; is it an eval.json written by "
                      "tunecase eval?",
                      file.string()));
    check_measured_figures(j, file);
    return j;
  } catch (const nlohmann::json::parse_error& e) {
    if (file.filename() != "eval.json")  // another file passed for the folder
      throw UserError(fmt::format(
          "{}: not an eval.json (not JSON); pass the folder tunecase eval --out wrote (or its "
          "eval.json) to --eval",
          file.string()));
    throw UserError(fmt::format("{}: invalid JSON ({}); re-run tunecase eval", file.string(),
                                parse_error_words(e)));
  }
}

nlohmann::json load_curve_json(const std::filesystem::path& dir_or_file) {
  std::filesystem::path file = dir_or_file;
  if (std::filesystem::is_directory(file)) file /= "curve.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw UserError(
        fmt::format("{}: no curve.json here; run tunecase curve --out DIR first and "
                    "pass that DIR to --curve",
                    file.string()));
  }
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    if (!j.contains("approaches") || !j["approaches"].is_array()) {
      throw UserError(
          fmt::format("{}: has no \"approaches\" list; is it a curve.json written by "
                      "tunecase curve?",
                      file.string()));
    }
    return j;
  } catch (const nlohmann::json::parse_error& e) {
    throw UserError(fmt::format("{}: invalid JSON ({}); re-run tunecase curve", file.string(),
                                parse_error_words(e)));
  }
}

}  // namespace tunecase
