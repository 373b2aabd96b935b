// `tunecase finetune`: a provider fine-tuning job from an openai approach (docs/finetune.md).
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/finetune/finetune_run.h"

namespace {

struct FinetuneArgs {
  std::string config, approach, out = "tunecase-finetune", name;
  double fraction = 1.0;
  double max_cost = -1;
  double poll_s = 10;
  bool yes = false, local_only = false;
};

void run(const FinetuneArgs& a) {
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  apply_local_only(config, a.local_only);
  tunecase::FinetuneOptions options;
  options.out_dir = a.out;
  options.fraction = a.fraction;
  options.result_name = a.name;
  options.assume_yes = a.yes;
  if (a.max_cost >= 0) options.max_cost_usd = a.max_cost;
  options.poll_interval = std::chrono::milliseconds(static_cast<int64_t>(a.poll_s * 1000));
  tunecase::FinetuneResult result;
  {
    CommandAudit audit("finetune", config, std::filesystem::path(a.out) / "audit.json",
                       "A job this run created keeps training at the provider, and is billed; "
                       "the same command again with the same --out follows it and pays for "
                       "nothing twice. To stop it, cancel it at the provider (OpenAI: POST "
                       "/v1/fine_tuning/jobs/ID/cancel, ID in finetune.json's job.id)");
    result = tunecase::run_finetune(config, a.approach, options, std::cerr);
  }
  const auto& r = result.record;
  std::string usd = r["training_usd"].is_number()
                        ? fmt::format("${:.4f} ({})", r["training_usd"].get<double>(),
                                      r["training_usd_is"].get<std::string>())
                        : "unknown (no price in the catalogue)";
  const nlohmann::json& tokens = r["job"]["trained_tokens"];
  fmt::print("fine-tuned model: {}\ntrained tokens: {}\ntraining cost: {}\n",
             r["job"]["fine_tuned_model"].get<std::string>(),
             tokens.is_number() ? fmt::format("{} ({})", tokens.dump(),
                                              r["simulated"].get<bool>() ? "simulated" : "measured")
                                : std::string("not reported by the provider"),
             usd);
  fmt::print(
      "wrote {0}/finetune.json, {0}/train.jsonl and {0}/approach.toml (paste it into "
      "the config to evaluate the model)\n",
      a.out);
}

}  // namespace

void add_finetune_command(CLI::App& app) {
  auto args = std::make_shared<FinetuneArgs>();
  CLI::App* cmd = app.add_subcommand(
      "finetune", "Fine-tune an openai approach at its provider: files, cost, job, result");
  cmd->add_option("--config", args->config, "Project config (TOML)")->required();
  cmd->add_option("--approach", args->approach, "The [[approach]] with a finetune table")
      ->required();
  cmd->add_option("--out", args->out, "Output folder (re-running with it resumes the job)")
      ->capture_default_str();
  cmd->add_option("--fraction", args->fraction, "Fine-tune on this stratified share of train")
      ->capture_default_str();
  cmd->add_option("--max-cost", args->max_cost,
                  "Start the job only if its estimated cost is known and within USD")
      ->check(non_negative_number());
  // At least a second: a NaN, a tiny or an overflowing value had polled the provider's job
  // status thousands of times a second.
  cmd->add_option("--poll", args->poll_s, "Seconds between status checks")
      ->check(finite_between(1, 3600, "a number of seconds "))
      ->capture_default_str();
  cmd->add_option("--name", args->name,
                  "Name of the tuned model's [[approach]] in approach.toml (default APPROACH-ft)");
  cmd->add_flag("--yes,-y", args->yes, "Do not ask before spending");
  add_local_only_option(cmd, args->local_only);
  cmd->callback([args] { run(*args); });
}
