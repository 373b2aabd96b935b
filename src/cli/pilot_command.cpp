// `tunecase pilot`: the live pilot report, offline from the store (docs/serve.md).
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/core/number_format.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/serve/pilot_plan.h"
#include "tunecase/serve/pilot_report.h"
#include "tunecase/store/store.h"

namespace {

struct PilotArgs {
  std::string store = "tunecase.db", config, plan, json_out;
};

// The plan to judge by: --plan or [pilot] when given, else the one `serve` recorded in the store
// at its last start, else the config's champion alone. A plan unlike the recorded one is said.
tunecase::serve::PilotPlan choose_plan(const PilotArgs& a,
                                       const std::optional<tunecase::serve::PilotPlan>& recorded) {
  using namespace tunecase::serve;
  std::optional<tunecase::ProjectConfig> config;
  if (!a.config.empty()) config = tunecase::load_config(a.config);
  if (!a.plan.empty() && !config)
    throw tunecase::UserError("--plan needs --config: the plan's arms are the config's approaches");
  bool given = !a.plan.empty() || (config && config->pilot.present);
  if (!given && recorded) {
    fmt::print(stderr,
               "plan: {}, as `tunecase serve` recorded it at its last start (rule from {})\n",
               plan_summary(*recorded), recorded->rule_source);
    return *recorded;
  }
  if (!config)
    throw tunecase::UserError(fmt::format(
        "--store {}: it records no pilot plan (a gateway older than this version wrote it); "
        "give --config, with [pilot] or --plan decision.json",
        shown_store(a.store)));
  PilotPlan plan = make_pilot_plan(*config, a.plan);
  // The same arms, served under a memo's rule, and no --plan here: [pilot] alone carries no
  // memo, and its defaults (min_gain 0, 1,000 queries per arm) had judged a cheaper challenger
  // "worse" where the gateway, by the memo's paying bar, said "marginal". The recorded rule,
  // thresholds and length stand; --plan judges by another memo.
  if (a.plan.empty() && recorded && plan_summary(*recorded) == plan_summary(plan) &&
      recorded->rule_source.rfind("decision.json", 0) == 0) {
    plan.rule = recorded->rule;
    plan.rule_source = recorded->rule_source;
    plan.share = recorded->share;
    plan.days = recorded->days;
    fmt::print(stderr,
               "plan: judged by the rule `tunecase serve` ran this store by (from {}), which "
               "[pilot] alone does not carry; pass --plan decision.json to judge by another memo\n",
               recorded->rule_source);
    return plan;
  }
  if (recorded && plan_summary(*recorded) != plan_summary(plan))
    fmt::print(stderr,
               "note: `tunecase serve` last ran this store as '{}'; this report judges it as "
               "'{}' (rule from {})\n",
               plan_summary(*recorded), plan_summary(plan), plan.rule_source);
  return plan;
}

// A plan whose arms have no request in a store that served other arms (the roles swapped, an
// approach the gateway never ran) would print an all-zero report and "collecting": refused.
void refuse_an_empty_judgement(tunecase::Store& store, const tunecase::serve::PilotPlan& plan,
                               const std::optional<tunecase::serve::PilotPlan>& recorded,
                               const nlohmann::json& report) {
  using namespace tunecase::serve;
  if (!recorded || plan_summary(*recorded) == plan_summary(plan)) return;  // the arms served
  // Every arm of the plan judged here needs requests of its own: a shadow plan over a split
  // store has the champion's, and no shadow arm, which had printed a "collecting: 0 and 0".
  bool every_arm_served = true;
  for (const auto& arm : report.value("arms", nlohmann::json::array()))
    every_arm_served = every_arm_served && arm.value("requests", int64_t{0}) > 0;
  if (every_arm_served) return;
  tunecase::PilotQuery everything;
  everything.breakdowns = false;
  int64_t served = 0;
  for (const auto& arm : store.pilot_counts(everything).arms) served += arm.requests;
  if (served == 0) return;  // nothing served yet: an empty report is the truth
  throw tunecase::UserError(fmt::format(
      "this store has no request for an arm judged here ('{}'); `tunecase serve` ran it as "
      "'{}'. Drop --config (and --plan) to judge it by that plan, or name the arms it served in "
      "the same roles",
      plan_summary(plan), plan_summary(*recorded)));
}

void run(const PilotArgs& a) {
  auto store = open_existing_store(a.store);
  std::optional<std::string> started = store->meta("pilot.started_at_ms");
  if (!started)
    throw tunecase::UserError(fmt::format(
        "--store {}: no pilot has run on this store yet; start `tunecase serve` on it first",
        shown_store(a.store)));
  // The plan `serve` recorded at its last start, when there is one.
  std::optional<tunecase::serve::PilotPlan> recorded;
  if (std::optional<std::string> text = store->meta(tunecase::serve::kRecordedPlanKey))
    recorded = tunecase::serve::pilot_plan_from_json(nlohmann::json::parse(*text, nullptr, false));
  tunecase::serve::PilotPlan plan = choose_plan(a, recorded);
  tunecase::serve::ReportContext context;
  context.now_ms = now_ms_or(0);
  // A store a replay wrote (the demo's pilot) is reported as of the replay's last time, as its
  // /v1/pilot was: the wall clock would count months of days since its simulated start.
  if (std::optional<int64_t> replay = tunecase::serve::stored_replay_clock(*store)) {
    context.now_ms = *replay;
    fmt::print(stderr,
               "note: this store was written by a gateway on a replay clock (--replay-clock); "
               "the report is as of its last time, {} days after the pilot's start\n",
               tunecase::tenths_down(double(context.now_ms - std::stoll(*started)) / 86'400'000.0));
  }
  context.started_at_ms = std::stoll(*started);
  nlohmann::json report = tunecase::serve::pilot_report(*store, plan, context);
  refuse_an_empty_judgement(*store, plan, recorded, report);
  // stdout carries one thing, so it can be piped: the table, or with `--json -` the JSON.
  if (a.json_out == "-") {
    std::cout << report.dump(2) << "\n";
    return;
  }
  // Written whole or not at all (a full disk left a truncated file in place of the last one).
  if (!a.json_out.empty()) tunecase::write_file(a.json_out, report.dump(2) + "\n");
  std::cout << tunecase::serve::pilot_report_text(report);
}

}  // namespace

void add_pilot_command(CLI::App& app) {
  auto args = std::make_shared<PilotArgs>();
  auto* cmd = app.add_subcommand(
      "pilot", "Print the pilot report (per-arm figures and the verdict) from the store");
  cmd->add_option("--store", args->store, "SQLite file or postgresql:// URL")
      ->capture_default_str();
  cmd->add_option("--config", args->config,
                  "project config: its [pilot] (or --plan) replaces the plan serve recorded");
  cmd->add_option("--plan", args->plan,
                  "decision.json from `tunecase decide`: the verdict rule (needs --config)");
  cmd->add_option("--json", args->json_out,
                  "also write the JSON report (/v1/pilot's) to this file; `-`: the JSON alone "
                  "to stdout, instead of the table");
  cmd->callback([args] { run(*args); });
}
