// `tunecase pilot`: the live pilot report, offline from the store (docs/serve.md).
#include <chrono>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/serve/pilot_report.h"
#include "tunecase/store/store.h"

namespace {

struct PilotArgs {
  std::string store = "tunecase.db", config, plan, json_out;
};

void run(const PilotArgs& a) {
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  tunecase::serve::PilotPlan plan = tunecase::serve::make_pilot_plan(config, a.plan);
  auto store = open_existing_store(a.store);
  std::optional<std::string> started = store->meta("pilot.started_at_ms");
  if (!started)
    throw tunecase::UserError(fmt::format(
        "--store {}: no pilot has run on this store yet; start `tunecase serve` on it first",
        a.store));
  tunecase::serve::ReportContext context;
  context.now_ms = now_ms_or(0);
  context.started_at_ms = std::stoll(*started);
  nlohmann::json report = tunecase::serve::pilot_report(*store, plan, context);
  if (!a.json_out.empty()) {
    std::ofstream out(a.json_out);
    out << report.dump(2) << "\n";
    if (!out)
      throw tunecase::UserError(fmt::format("--json {}: cannot write the file", a.json_out));
  } else {
    std::cout << report.dump(2) << "\n";
  }
  std::cout << tunecase::serve::pilot_report_text(report);
}

}  // namespace

void add_pilot_command(CLI::App& app) {
  auto args = std::make_shared<PilotArgs>();
  auto* cmd = app.add_subcommand(
      "pilot", "Print the pilot report (per-arm figures and the verdict) from the store");
  cmd->add_option("--store", args->store, "SQLite file or postgresql:// URL")
      ->capture_default_str();
  cmd->add_option("--config", args->config, "project config with [pilot]")->required();
  cmd->add_option("--plan", args->plan, "decision.json from `tunecase decide`: the verdict rule");
  cmd->add_option("--json", args->json_out, "write the JSON report here instead of stdout");
  cmd->callback([args] { run(*args); });
}
