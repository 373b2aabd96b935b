// `tunecase retrain`: a challenger per local approach (a model) and per LLM approach with
// few-shot or retrieved examples (an example pool) from the original and the feedback labels,
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
#include "tunecase/llm/http_client.h"
#include "tunecase/monitor/retrain.h"
#include "tunecase/runner/cache_location.h"
#include "tunecase/store/store.h"

namespace {

struct RetrainArgs {
  std::string store = "tunecase.db", config, eval, out = "retrain";
  std::vector<std::string> approaches;
  int64_t now_ms = 0, min_holdout = 100, large_label = 30;
  bool dry_run = false, if_due = false, yes = false, local_only = false, refresh_examples = false;
  double max_cost = -1;
  int concurrency = 8;
  tunecase::CacheChoice cache;
};

void run(const RetrainArgs& a) {
  namespace mon = tunecase::monitor;
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  apply_local_only(config, a.local_only);
  auto store = open_existing_store(a.store);
  mon::RetrainRequest request;
  request.now_ms = store_clock_ms(*store, a.now_ms, "retrain trains and registers");
  request.approaches = a.approaches;
  if (a.if_due) {
    // Only the approaches the [retrain] policy calls for; none due is a normal, quiet outcome.
    std::vector<std::string> candidates = a.approaches;
    if (candidates.empty())
      for (const auto& approach : config.approaches)
        if (approach.is_local() || (a.refresh_examples && mon::retrainable(approach, config)))
          candidates.push_back(approach.name);
    request.approaches.clear();
    for (const std::string& name : candidates) {
      mon::Due due = mon::retrain_due(config.retrain, *store, name, request.now_ms);
      fmt::print("{}: {} ({})\n", name, due.due ? "retrain due" : "not due", due.why);
      if (due.due) request.approaches.push_back(name);
    }
    if (request.approaches.empty()) return;
  }
  // A retrain registers and may promote: not at a time before a registry step already taken.
  if (!a.dry_run) {
    std::vector<std::string> names = request.approaches;
    if (names.empty())
      for (const auto& approach : config.approaches) names.push_back(approach.name);
    for (const std::string& name : names)
      tunecase::require_registry_clock(*store, name, request.now_ms,
                                       a.now_ms != 0 ? "--now-ms" : "the clock");
  }
  request.eval_dir = a.eval;
  request.out_dir = a.out;
  request.rule.min_gain = config.retrain.min_gain;
  request.rule.min_holdout = a.min_holdout;
  request.rule.large_label = a.large_label;
  request.holdout_days = config.retrain.holdout_days;
  request.dry_run = a.dry_run;
  if (!config.data.path.empty() || config.data.pre_split()) {
    tunecase::PreparedData data = tunecase::prepare_data(config.data);
    request.original = std::move(data.splits.train);
    request.labels = std::move(data.labels);
  } else {
    fmt::print(stderr, "note: [data] names no file; training on the feedback labels alone\n");
    request.labels = config.data.allowed_labels;
  }
  // LLM approaches are judged by asking their model with each example pool: through the
  // project's response cache, after the spend is estimated and confirmed, under --max-cost.
  std::unique_ptr<tunecase::HttpClient> http = tunecase::make_http_client();
  request.http = http.get();
  request.refresh_examples = a.refresh_examples;
  request.llm.assume_yes = a.yes;
  if (a.max_cost >= 0) request.llm.max_cost_usd = a.max_cost;
  request.llm.concurrency = a.concurrency;
  request.llm.cache_file = tunecase::resolve_cache_file(a.cache, a.config);
  request.llm.order_seed = static_cast<uint64_t>(config.data.seed);
  request.log = &std::cerr;

  mon::RetrainRun result;
  {
    CommandAudit audit("retrain", config, std::filesystem::path(a.out) / "audit.json");
    result = retrain_and_report(config, *store, request);
  }
  std::filesystem::path out(a.out);
  for (const auto& r : result.approaches) {
    const auto& c = r.comparison;
    double n = std::max<int64_t>(1, c.holdout);
    // Tagged as every figure is, with the test the rule reads (it had no tag when not promoted).
    fmt::print(
        "{}: {}challenger {} {:.1f}% vs champion {} {:.1f}% on {} held-out items ({}; "
        "McNemar p = {:.2g}) -> {}\n",
        r.approach, r.example_pool ? "example pool " : "", r.challenger_version.substr(0, 12),
        100 * c.challenger_right / n, r.champion_version.substr(0, 12), 100 * c.champion_right / n,
        c.holdout, r.simulated ? "simulated" : "measured", c.mcnemar.p_value,
        r.promoted                                                ? "promoted"
        : c.promote && r.challenger_version == r.champion_version ? "already champion"
        : result.dry_run ? (c.promote ? "would be promoted (dry run)" : "would be refused")
        : c.promote      ? "already champion"
                         : "not promoted");
    for (const auto& reason : c.reasons) fmt::print("  - {}\n", reason);
    if (r.example_pool)
      fmt::print("  - asking the model with both pools cost ${:.4f} ({}{})\n", r.spent_usd,
                 r.simulated ? "simulated" : "measured",
                 r.simulated ? ": the answers came from tunecase sim-llm" : "");
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
  cmd->add_option("--approach", args->approaches,
                  "retrain only these (default: every local one; LLM approaches with "
                  "--refresh-examples)");
  cmd->add_option("--min-holdout", args->min_holdout,
                  "labelled held-out items needed before a challenger can be promoted")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  cmd->add_option("--large-label", args->large_label,
                  "held-out items that make a label large (must not get significantly worse)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  cmd->add_flag("--dry-run", args->dry_run, "train and compare; register and promote nothing");
  cmd->add_flag("--refresh-examples", args->refresh_examples,
                "also refresh the example pool of every LLM approach whose prompts show "
                "examples (asks its model about the holdout with each pool: costs money)");
  cmd->add_flag("--if-due", args->if_due,
                "retrain only the approaches the [retrain] policy calls for now (for cron)");
  cmd->add_option("--now-ms", args->now_ms, "the clock, epoch milliseconds (default: now)")
      ->check(epoch_ms_validator());
  add_cache_options(cmd, args->cache);
  cmd->add_option("--max-cost", args->max_cost,
                  "cap on new LLM spend (USD) for judging the example pools")
      ->check(non_negative_number());
  cmd->add_option("--concurrency", args->concurrency, "LLM requests in flight")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--yes,-y", args->yes, "do not ask before spending");
  add_local_only_option(cmd, args->local_only);
  cmd->callback([args] { run(*args); });
}
