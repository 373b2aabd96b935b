#include <fmt/format.h>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"

namespace {

struct CheckArgs {
  std::string config;
  bool reference = false;
};

void run(const CheckArgs& a) {
  if (a.reference) {
    fmt::print("{}", tunecase::configuration_reference());
    return;
  }
  if (a.config.empty()) throw tunecase::UserError("give --config FILE (or --reference)");
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  fmt::print("{}", tunecase::describe_settings(config));
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
