#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/config/privacy_policy.h"
#include "tunecase/optimize/optimize_report.h"
#include "tunecase/optimize/optimize_run.h"

namespace {

struct OptimizeArgs {
  std::string config, out = "tunecase-optimize";
  double max_cost = -1;
  long long max_calls = -1;
  int concurrency = 8;
  bool yes = false, local_only = false;
  tunecase::CacheChoice cache;
};

// 0 with a winner; 1 when the search chose none (a script can tell it from success).
int run(const OptimizeArgs& a) {
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  apply_local_only(config, a.local_only);
  std::vector<tunecase::ApproachConfig> models;
  for (const auto& m : config.optimize.models) {
    if (m.inline_) models.push_back(*m.inline_);
    if (const auto* named = config.find_approach(m.name)) models.push_back(*named);
  }
  tunecase::enforce_local_only(config.privacy, models);
  tunecase::OptimizeOptions options;
  options.out_dir = a.out;
  options.concurrency = a.concurrency;
  if (a.max_cost >= 0) options.max_cost_usd = a.max_cost;
  if (a.max_calls >= 0) options.max_calls = static_cast<std::size_t>(a.max_calls);
  options.assume_yes = a.yes;
  options.cache = a.cache;
  // The search's rounds are nested samples: with the cache each round pays only for its new
  // items, without it every round buys the earlier rounds' items again.
  if (a.cache.disabled)
    fmt::print(stderr,
               "note: --no-cache: each round of the search sends the earlier rounds' items again "
               "(about twice the spend, and twice the calls against --max-calls); a cache file "
               "(--cache FILE) avoids it\n");
  nlohmann::json doc;
  {
    CommandAudit audit("optimize", config, std::filesystem::path(a.out) / "audit.json",
                       a.cache.disabled ? std::string() : std::string(kResumeFromCache));
    doc = tunecase::run_optimize(config, options, std::cerr);
  }
  const auto& w = doc["winner"];
  if (w.is_null()) {
    fmt::print("no winner: {}\n", tunecase::no_winner_reason(doc));
  } else {
    fmt::print(
        "winner: {}\n  dev accuracy {:.3f} on {} items; test accuracy {:.3f} [{:.3f}, {:.3f}] "
        "on {} items (scored once){}\n",
        w["name"].get<std::string>(), w["dev"]["accuracy"].get<double>(),
        w["dev"]["n"].get<std::size_t>(), w["test"]["accuracy"].get<double>(),
        w["test"]["accuracy_ci95"][0].get<double>(), w["test"]["accuracy_ci95"][1].get<double>(),
        w["test"]["n"].get<std::size_t>(), doc["simulated"].get<bool>() ? " [simulated]" : "");
    // Failed requests count as wrong answers: said, as eval says it.
    if (w["test"].is_object() && w["test"].value("errors", 0) > 0)
      fmt::print(
          "  ERRORS: {} of the {} test requests failed and count as wrong answers: the "
          "test accuracy is partly the endpoint's failures\n",
          w["test"]["errors"].get<int64_t>(), w["test"]["n"].get<std::size_t>());
    if (w["test"].is_object() && w["test"].contains("partial_note"))
      fmt::print("  PARTIAL: {}\n", w["test"]["partial_note"].get<std::string>());
    if (w.contains("warning")) fmt::print("  WARNING: {}\n", w["warning"].get<std::string>());
  }
  const auto& spent = doc["spent"];
  fmt::print(
      "spent ${:.4f} in {} requests ({}): the search ${:.4f} in {}{}\n", spent["usd"].get<double>(),
      spent["requests"].get<std::size_t>(),
      std::string(doc.value("simulated", false) ? "simulated: sim-llm's answers" : "measured") +
          (spent.value("charged_worst_case", std::size_t{0}) > 0
               ? fmt::format(", with {} answers charged their worst case",
                             spent["charged_worst_case"].get<std::size_t>())
               : std::string()),
      doc["search"]["spent_usd"].get<double>(), doc["search"]["requests"].get<std::size_t>(),
      spent["test_usd"].is_number()
          ? fmt::format(", the winner's test run ${:.4f}", spent["test_usd"].get<double>())
          : std::string());
  const bool capped = doc["search"].value("budget_usd", nlohmann::json()).is_number() ||
                      doc["search"].value("max_calls", nlohmann::json()).is_number() ||
                      doc["search"].value("max_cost_usd", nlohmann::json()).is_number();
  if (capped && spent.value("search_cached_counted_answers", 0) > 0)
    fmt::print(
        "  the search also counted {} cached answers it had not paid in this run (${:.4f} "
        "at list price) toward its caps, so a search run again stops where one run "
        "would\n",
        spent["search_cached_counted_answers"].get<std::size_t>(),
        spent["search_cached_counted_usd"].get<double>());
  fmt::print("wrote {}/optimize.json, optimize.md, optimize.html{}\n", a.out,
             w.is_null() ? "" : ", winner.toml");
  return w.is_null() ? 1 : 0;
}

}  // namespace

void add_optimize_command(CLI::App& app) {
  auto args = std::make_shared<OptimizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "optimize", "Budgeted prompt search on the dev split; the winner is scored once on test");
  cmd->add_option("--config", args->config, "Project config with an [optimize] table")->required();
  cmd->add_option("--out", args->out, "Output folder")->capture_default_str();
  add_cache_options(cmd, args->cache);
  cmd->add_option("--max-cost", args->max_cost, "Stop before the new spend passes this (USD)")
      ->check(non_negative_number());
  cmd->add_option("--max-calls", args->max_calls, "At most this many requests for the search")
      ->check(positive_count());
  cmd->add_option("--concurrency", args->concurrency, "Requests in flight")
      ->check(in_flight())
      ->capture_default_str();
  cmd->add_flag("--yes,-y", args->yes, "Do not ask before spending");
  add_local_only_option(cmd, args->local_only);
  cmd->callback([args] {
    if (run(*args) != 0) {
      std::fflush(stdout);
      std::exit(1);
    }
  });
}
