// `tunecase retrain`: a challenger per local approach from the original and the feedback labels,
// judged against the champion on the most recent labelled days, promoted in the model registry
// only when the promotion rule holds (docs/operate.md).
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/data/prepare.h"
#include "tunecase/monitor/retrain.h"

namespace {

struct RetrainArgs {
  std::string store = "tunecase.db", config, eval, out = "retrain";
  std::vector<std::string> approaches;
  int64_t now_ms = 0, min_holdout = 100, large_label = 30;
  bool dry_run = false, if_due = false;
};

void run(const RetrainArgs& a) {
  namespace mon = tunecase::monitor;
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  auto store = open_existing_store(a.store);
  mon::RetrainRequest request;
  request.now_ms = now_ms_or(a.now_ms);
  request.approaches = a.approaches;
  if (a.if_due) {
    // Only the approaches the [retrain] policy calls for; none due is a normal, quiet outcome.
    std::vector<std::string> candidates = a.approaches;
    if (candidates.empty())
      for (const auto& approach : config.approaches)
        if (approach.is_local()) candidates.push_back(approach.name);
    request.approaches.clear();
    for (const std::string& name : candidates) {
      mon::Due due = mon::retrain_due(config.retrain, *store, name, request.now_ms);
      fmt::print("{}: {} ({})\n", name, due.due ? "retrain due" : "not due", due.why);
      if (due.due) request.approaches.push_back(name);
    }
    if (request.approaches.empty()) return;
  }
  request.eval_dir = a.eval;
  request.out_dir = a.out;
  request.rule.min_gain = config.retrain.min_gain;
  request.rule.min_holdout = a.min_holdout;
  request.rule.large_label = a.large_label;
  request.holdout_days = config.retrain.holdout_days;
  request.dry_run = a.dry_run;
  if (!config.data.path.empty() || config.data.pre_split())
    request.original = tunecase::prepare_data(config.data).splits.train;
  else
    fmt::print(stderr, "note: [data] names no file; training on the feedback labels alone\n");

  mon::RetrainRun result = retrain_and_report(config, *store, request);
  std::filesystem::path out(a.out);
  for (const auto& r : result.approaches) {
    const auto& c = r.comparison;
    double n = std::max<int64_t>(1, c.holdout);
    fmt::print("{}: challenger {} {:.1f}% vs champion {} {:.1f}% on {} held-out items -> {}\n",
               r.approach, r.challenger_version.substr(0, 12), 100 * c.challenger_right / n,
               r.champion_version.substr(0, 12), 100 * c.champion_right / n, c.holdout,
               r.promoted       ? "promoted"
               : result.dry_run ? (c.promote ? "would be promoted (dry run)" : "would be refused")
               : c.promote      ? "already champion"
                                : "not promoted");
    for (const auto& reason : c.reasons) fmt::print("  - {}\n", reason);
  }
  for (const auto& note : result.notes) fmt::print("note: {}\n", note);
  fmt::print("wrote {}/retrain.json and retrain.md; models under {}/models/\n", out.string(),
             out.string());
}

}  // namespace

tunecase::monitor::RetrainRun retrain_and_report(const tunecase::ProjectConfig& config,
                                                 tunecase::Store& store,
                                                 const tunecase::monitor::RetrainRequest& request) {
  namespace mon = tunecase::monitor;
  tunecase::create_output_dir(request.out_dir);
  mon::RetrainRun result = mon::run_retrain(config, store, request);
  write_text_file(request.out_dir / "retrain.json", mon::retrain_json(result).dump(2) + "\n");
  write_text_file(request.out_dir / "retrain.md", mon::retrain_markdown(result));
  return result;
}

void add_retrain_command(CLI::App& app) {
  auto args = std::make_shared<RetrainArgs>();
  auto* cmd = app.add_subcommand(
      "retrain",
      "Train a challenger per local approach on the original plus the feedback labels, compare it "
      "with the champion on the most recent labelled days, and promote it when the rule holds");
  cmd->add_option("--config", args->config, "project config ([data], approaches, [retrain])")
      ->required();
  cmd->add_option("--store", args->store, "SQLite file or postgresql:// URL")
      ->capture_default_str();
  cmd->add_option("--eval", args->eval,
                  "the eval output folder: the champion's model when the registry has none");
  cmd->add_option("--out", args->out, "folder for retrain.json, retrain.md and the new models")
      ->capture_default_str();
  cmd->add_option("--approach", args->approaches, "retrain only these (default: every local one)");
  cmd->add_option("--min-holdout", args->min_holdout,
                  "labelled held-out items needed before a challenger can be promoted")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  cmd->add_option("--large-label", args->large_label,
                  "held-out items that make a label large (must not get significantly worse)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  cmd->add_flag("--dry-run", args->dry_run, "train and compare; register and promote nothing");
  cmd->add_flag("--if-due", args->if_due,
                "retrain only the approaches the [retrain] policy calls for now (for cron)");
  cmd->add_option("--now-ms", args->now_ms, "the clock, epoch milliseconds (default: now)");
  cmd->callback([args] { run(*args); });
}
