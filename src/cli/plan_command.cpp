// `tunecase plan`: the one-page operation plan (docs/operate.md).
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/monitor/operation_plan.h"

namespace {

struct PlanArgs {
  std::string config, monitor_json, out = "plan";
};

void run(const PlanArgs& a) {
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  nlohmann::json measured;
  if (!a.monitor_json.empty()) {
    tunecase::refuse_folder_as_file(a.monitor_json, "a monitor.json (--monitor)");
    std::ifstream in(a.monitor_json);
    if (!in)
      throw tunecase::UserError(
          fmt::format("--monitor {}: cannot open; run `tunecase monitor` "
                      "first or leave --monitor out",
                      a.monitor_json));
    measured = nlohmann::json::parse(in, nullptr, false);
    if (measured.is_discarded() || !measured.contains("approaches"))
      throw tunecase::UserError(fmt::format(
          "--monitor {}: not a monitor.json written by `tunecase monitor`", a.monitor_json));
  }
  nlohmann::json plan = write_operation_plan(config, measured, a.out);
  std::cout << tunecase::monitor::operation_plan_markdown(plan);
  if (plan["unassigned"].get<bool>())
    fmt::print(stderr,
               "warning: the plan has an UNASSIGNED owner ([monitor] owner / [retrain] "
               "owner)\n");
  fmt::print("wrote {}/plan.md, plan.html, plan.json\n", a.out);
}

}  // namespace

nlohmann::json write_operation_plan(const tunecase::ProjectConfig& config,
                                    const nlohmann::json& measured,
                                    const std::filesystem::path& out,
                                    const tunecase::monitor::PlannedChampion& champion) {
  nlohmann::json plan = tunecase::monitor::operation_plan(config, measured, champion);
  // A plan written beside a memo belongs to it: the next decide into the folder may remove it.
  plan["beside_memo"] = !champion.approach.empty();
  tunecase::create_output_dir(out);
  write_text_file(out / "plan.json", plan.dump(2) + "\n");
  write_text_file(out / "plan.md", tunecase::monitor::operation_plan_markdown(plan));
  write_text_file(out / "plan.html", tunecase::monitor::operation_plan_html(plan));
  return plan;
}

tunecase::monitor::PlannedChampion memo_champion(const tunecase::DecisionResult& decision) {
  const nlohmann::json& business = decision.decision.value("business", nlohmann::json::object());
  const std::string baseline = business.value("baseline", std::string());
  if (!decision.recommendation.empty() && decision.recommendation != baseline)
    return {decision.recommendation, "the decision memo's pick, served once its pilot is won"};
  if (!decision.recommendation.empty())
    return {baseline, "the decision memo keeps it: no pilot is planned"};
  return {baseline, "[business] baseline: the decision memo prices no approach to move to"};
}

void add_plan_command(CLI::App& app) {
  auto args = std::make_shared<PlanArgs>();
  auto* cmd = app.add_subcommand(
      "plan", "Write the one-page operation plan (retraining, owners, alerts, budget, rollback)");
  cmd->add_option("--config", args->config, "project config with [monitor] and [retrain]")
      ->required();
  cmd->add_option("--monitor", args->monitor_json, "a monitor.json for the measured figures");
  cmd->add_option("--out", args->out, "folder for plan.md, plan.html, plan.json")
      ->capture_default_str();
  cmd->callback([args] { run(*args); });
}
