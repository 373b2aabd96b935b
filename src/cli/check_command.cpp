#include <set>
#include <string>

#include <fmt/format.h>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/data/prepare.h"
#include "tunecase/data/reader.h"

namespace {

struct CheckArgs {
  std::string config;
  bool reference = false;
};

// Reads [data]'s files as eval would: a missing file, a misspelt column or a bad row is found
// here, not after the config was called valid.
// Returns what it read, for the settings' printout.
std::string check_data(const tunecase::ProjectConfig& config) {
  const tunecase::DataConfig& d = config.data;
  if (d.path.empty() && d.train.empty()) return "";  // no [data] (decide's scenario mode)
  std::string out = "\ndata (read as eval reads it)\n";
  for (const auto& file : {d.path, d.train, d.dev, d.test}) {
    if (file.empty()) continue;
    tunecase::ReadResult read;
    try {
      read = tunecase::read_examples(file, tunecase::read_options(d));
    } catch (const tunecase::UserError& e) {
      throw tunecase::UserError(
          fmt::format("{}: the settings are valid, but [data] cannot be read: {}",
                      config.file.string(), e.what()));
    }
    std::set<std::string> labels;
    for (const auto& e : read.labelled) labels.insert(e.label);
    out += fmt::format(
        "  {}: {} rows, {} labelled, {} label{}{}\n", file.string(), read.rows,
        read.labelled.size(), labels.size(), labels.size() == 1 ? "" : "s",
        read.invalid_skipped ? fmt::format(", {} bad rows skipped", read.invalid_skipped) : "");
  }
  return out;
}

void run(const CheckArgs& a) {
  if (a.reference) {
    fmt::print("{}", tunecase::configuration_reference());
    return;
  }
  if (a.config.empty()) throw tunecase::UserError("give --config FILE (or --reference)");
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  std::string data = check_data(config);
  fmt::print("{}{}", tunecase::describe_settings(config), data);
}

}  // namespace

void add_check_command(CLI::App& app) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Validate a config without running anything; print the settings it gives");
  cmd->add_option("--config", args->config, "Project config (TOML)");
  cmd->add_flag("--reference", args->reference,
                "Print every table and key with its type, default and meaning (Markdown)");
  cmd->callback([args] { run(*args); });
}

void add_cache_options(CLI::App* cmd, tunecase::CacheChoice& cache) {
  cmd->add_option("--cache", cache.file,
                  "LLM response cache file (default: .tunecase/cache.sqlite beside the config, "
                  "shared by eval, optimize and curve)");
  cmd->add_flag("--no-cache", cache.disabled, "Do not read or write the response cache");
}
