#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "data_flags.h"
#include "tunecase/config/approach_kinds.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/evaluation/eval_run.h"
#include "tunecase/report/eval_report.h"

namespace {

struct EvalArgs {
  std::string config;
  DataFlags data;
  std::string out = "tunecase-out";
  tunecase::CacheChoice cache;
  double queries_per_day = 0;
  double max_cost = -1;
  int concurrency = 8;
  bool yes = false, skip_invalid = false, quiet = false, no_inspect = false;
  bool local_only = false, compare_redaction = false;
  std::vector<std::string> only;
};

tunecase::ProjectConfig load(const EvalArgs& a, const CLI::App& cmd) {
  if (a.config.empty()) {
    tunecase::ProjectConfig c;
    c.data = data_from_flags(a.data);
    return c;
  }
  tunecase::ProjectConfig c = tunecase::load_config(a.config);
  override_data(c.data, a.data, cmd, a.config);
  return c;
}

// Approaches every one of whose scored requests failed: their 0% measures the endpoint, not the
// approach. Said on stderr; the run's exit status is 1 so that a script notices.
int all_failed(const nlohmann::json& eval) {
  int count = 0;
  for (const auto& a : eval["approaches"]) {
    auto scored = a.value("scored", int64_t{0});
    if (scored == 0 || a.value("errors", int64_t{0}) < scored) continue;
    ++count;
    std::string first = "see report.md";
    if (a.contains("error_samples") && !a["error_samples"].empty())
      first = a["error_samples"][0].value("error", first);
    while (!first.empty() && (first.back() == '.' || first.back() == ' ')) first.pop_back();
    fmt::print(stderr,
               "error: approach '{}': every one of its {} requests failed ({}); its accuracy "
               "measures the endpoint, not the approach. Fix the cause and run again (none was "
               "answered, so the run again sends them all)\n",
               a.value("name", std::string("?")), scored, first);
  }
  return count;
}

int run(const EvalArgs& a, const CLI::App& cmd) {
  tunecase::ProjectConfig config = load(a, cmd);
  if (a.skip_invalid) config.data.skip_invalid = true;
  apply_local_only(config, a.local_only);
  if (a.queries_per_day > 0) {
    config.business.queries_per_day = a.queries_per_day;
    config.business.queries_per_month.reset();
    config.business.queries_per_year.reset();
  }
  tunecase::EvalOptions options;
  options.out_dir = a.out;
  options.concurrency = a.concurrency;
  if (a.max_cost >= 0) options.max_cost_usd = a.max_cost;
  options.assume_yes = a.yes;
  options.cache = a.cache;
  options.progress = !a.quiet;
  options.only = a.only;
  options.inspect = !a.no_inspect;
  options.compare_redaction = a.compare_redaction;
  nlohmann::json eval;
  {
    CommandAudit audit("eval", config, std::filesystem::path(a.out) / "audit.json",
                       resume_note(a.cache.disabled, a.max_cost >= 0, false));
    // Stopped before its eval.json, the earlier run's results it had set aside go back, with the
    // models and prompts this run had replaced (they had been left in OUT/.earlier-run/ without a
    // word, and a model trained by then had made them go for good).
    audit.on_stop([out = std::filesystem::path(a.out)] {
      return tunecase::put_back_earlier_results(out)
                 ? std::string(
                       "The earlier run's results, set aside, are back in place, with any "
                       "model or prompt file this run had replaced (LLM answers it paid "
                       "for are in the response cache)")
                 : std::string();
    });
    eval = tunecase::run_evaluation(config, options, std::cerr);
  }
  fmt::print("{}", tunecase::eval_table_text(eval));
  for (const auto& c : eval.value("redaction", nlohmann::json::array())) {
    if (!c["accuracy_change"].is_number()) {
      fmt::print("{}: no accuracy with and without redaction to compare (a run scored no item)\n",
                 c["approach"].get<std::string>());
      continue;
    }
    fmt::print("{}: accuracy {:.3f} redacted vs {:.3f} unredacted ({:+.3f}, measured)\n",
               c["approach"].get<std::string>(), c["redacted"]["accuracy"].get<double>(),
               c["unredacted"]["accuracy"].get<double>(), c["accuracy_change"].get<double>());
  }
  // What this run wrote: models/ for local approaches, prompts/ for LLM ones (models/ had been
  // named for a run of LLM approaches alone, which writes none).
  bool local = false, llm = false;
  for (const auto& e : eval["approaches"])
    (tunecase::is_local_kind(e.value("kind", "")) ? local : llm) = true;
  fmt::print("wrote {}/eval.json, report.md, predictions.jsonl, audit.json{}{}{}\n", a.out,
             local ? ", models/" : "", llm ? ", prompts/" : "",
             a.no_inspect ? "" : ", data.md, data.html, data.json, suspect_labels.csv");
  return all_failed(eval) > 0 ? 1 : 0;
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd =
      app.add_subcommand("eval", "Score every approach on the same held-out test split");
  cmd->add_option("--config", args->config,
                  "Project config (TOML); data flags given with it replace its [data] keys");
  add_data_flags(cmd, args->data, true);
  cmd->add_option("--out", args->out, "Output folder")->capture_default_str();
  cmd->add_option("--queries-per-day", args->queries_per_day, "Volume for $ per month (assumed)")
      ->check(non_negative_number());
  cmd->add_option("--concurrency", args->concurrency, "LLM requests in flight")
      ->check(in_flight())
      ->capture_default_str();
  cmd->add_option("--max-cost", args->max_cost, "Stop LLM approaches before spending more USD")
      ->check(non_negative_number());
  add_cache_options(cmd, args->cache);
  cmd->add_option("--only", args->only, "Run only these approaches (by name)");
  cmd->add_flag("--yes,-y", args->yes, "Do not ask before spending");
  cmd->add_flag("--skip-invalid", args->skip_invalid, "Skip and count malformed rows");
  cmd->add_flag("--quiet,-q", args->quiet, "No progress output");
  cmd->add_flag("--no-inspect", args->no_inspect,
                "Skip the data-quality report (label noise, near-duplicates: tunecase inspect)");
  add_local_only_option(cmd, args->local_only);
  cmd->add_flag("--compare-redaction", args->compare_redaction,
                "Also run each LLM approach without [privacy] redaction and report both "
                "accuracies (the second run sends unredacted text)");
  cmd->callback([args, cmd] {
    if (run(*args, *cmd) != 0) {
      std::fflush(stdout);
      std::exit(1);
    }
  });
}
