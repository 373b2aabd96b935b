#include "tunecase/economics/decide.h"

#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/economics/decision_json.h"
#include "tunecase/economics/memo.h"
#include "tunecase/economics/memo_html.h"

namespace tunecase {
DecisionResult run_decide(const ProjectConfig& config, const nlohmann::json* eval,
                          const std::filesystem::path& out_dir, const nlohmann::json* curve,
                          bool accept_partial) {
  econ::Scenario scenario = econ::read_scenario(config, eval, accept_partial);
  if (curve != nullptr) scenario.curve = *curve;
  econ::Decision d = econ::decide(std::move(scenario));
  d.operation_plan = config.monitor.present || config.retrain.present;
  DecisionResult result;
  result.decision = econ::decision_json(d);
  result.memo_md = econ::memo_markdown(d);
  result.memo_html = econ::memo_html(d);
  result.recommendation = d.pick;
  create_output_dir(out_dir);
  write_file(out_dir / "decision.json", result.decision.dump(2) + "\n");
  write_file(out_dir / "memo.md", result.memo_md);
  write_file(out_dir / "memo.html", result.memo_html);
  return result;
}

nlohmann::json load_eval_json(const std::filesystem::path& dir_or_file) {
  std::filesystem::path file = dir_or_file;
  if (std::filesystem::is_directory(file)) file /= "eval.json";
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
    return j;
  } catch (const nlohmann::json::parse_error& e) {
    throw UserError(
        fmt::format("{}: invalid JSON ({}); re-run tunecase eval", file.string(), e.what()));
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
    throw UserError(
        fmt::format("{}: invalid JSON ({}); re-run tunecase curve", file.string(), e.what()));
  }
}

}  // namespace tunecase
