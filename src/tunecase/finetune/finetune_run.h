#pragma once

// `tunecase finetune` (docs/finetune.md): from an openai approach with a `finetune` table to a
// fine-tuned model, measured. The steps, each recorded in DIR/finetune.json as it happens:
//   1. training file from the train split (or a stratified --fraction of it), validation file
//      from dev, both rendered with the approach's inference prompt; the test split never enters;
//   2. validation as the provider would (training_file.h); problems stop here, nothing is sent;
//   3. the cost estimate: tokens per epoch (estimated) x epochs x the catalogue's training price;
//      an unknown price stays unknown. Nothing is spent without --yes, a --max-cost it fits
//      under, or a "y" at the terminal;
//   4. upload, create the job, and follow it until it finishes. The job id is written to
//      finetune.json as soon as the provider gives it, so running the same command again (after
//      a crash, a kill or Ctrl-C) follows that job instead of paying for a second one;
//   5. the result: the model id, trained tokens and the training cost they measure (simulated
//      when sim-llm answered), and DIR/approach.toml, an [[approach]] to paste into the config
//      whose finetune_record points at DIR/finetune.json (decide's measured training cost).
// The API key is read from the approach's api_key_env and never written anywhere.

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"

namespace tunecase {

struct FinetuneOptions {
  std::filesystem::path out_dir = "tunecase-finetune";
  double fraction = 1.0;  // share of train to fine-tune on (stratified), in (0, 1]
  bool assume_yes = false;
  std::optional<double> max_cost_usd;  // start only when the estimate is known and within it
  std::chrono::milliseconds poll_interval{10000};
  std::string result_name;  // the name of the pasted [[approach]] ("" = "<approach>-ft")
  // Asks the user (tests); null: ask at the terminal when stdin is one, else refuse.
  std::function<bool(const std::string&)> confirm;
};

struct FinetuneResult {
  nlohmann::json record;      // what DIR/finetune.json holds
  std::string approach_toml;  // what DIR/approach.toml holds ("" unless the job succeeded)
};

// What run_finetune would spend, found before anything is sent: the files are built, validated
// and priced as run_finetune does (problems throw UserError with the report). `follows_job` is true
// when options.out_dir records a job for the same files and settings: a run follows it instead of
// paying again.
struct FinetunePlan {
  nlohmann::json estimate;  // finetune.json's "estimate": tokens, epochs, usd (null: no price)
  std::size_t train_examples = 0;
  bool follows_job = false;
};
FinetunePlan plan_finetune(const ProjectConfig& config, const std::string& approach_name,
                           const FinetuneOptions& options);

// Nothing is spent on fine-tuning without --yes (assume_yes), a known estimate within
// max_cost_usd, or a yes from `confirm` (null: y/N at the terminal; no terminal = no). `who`
// starts every message, `what` names the spend ("the fine-tuning job", "3 fine-tuning jobs");
// an unknown `usd` cannot be bounded by a cap; `smaller` says how this command spends less
// (its own options: "fine-tune on less of train (--fraction)"). Throws UserError with what to do.
void confirm_finetune_spend(std::optional<double> usd, const std::string& who,
                            const std::string& what, const std::string& smaller, bool assume_yes,
                            std::optional<double> max_cost_usd,
                            const std::function<bool(const std::string&)>& confirm,
                            std::ostream& log);

// What to do after the provider failed a fine-tuning call (`what`, the ProviderError's words):
// wait and run again after a 429, fix the cause first after another 4xx, else run again.
std::string provider_failure_advice(const std::string& what);

// Throws UserError for a bad approach (not openai, no finetune table), invalid training files,
// an unconfirmed spend, a missing key, and a failed or cancelled job (with the provider's
// message); the record on disk says how far it got.
FinetuneResult run_finetune(const ProjectConfig& config, const std::string& approach_name,
                            const FinetuneOptions& options, std::ostream& log);

}  // namespace tunecase
