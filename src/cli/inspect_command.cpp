#include <fmt/format.h>

#include "commands.h"
#include "data_flags.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/data/prepare.h"
#include "tunecase/evaluation/eval_run.h"
#include "tunecase/quality/inspect.h"
#include "tunecase/quality/quality_report.h"

namespace {

struct InspectArgs {
  std::string config, delimiter;
  DataFlags data;
  std::string out = "tunecase-inspect";
  bool normalize_labels = false, no_noise = false, skip_invalid = false;
  int folds = 5;
};

char delimiter_flag(const std::string& value) {
  if (value.empty() || value == "auto") return 0;
  if (value == "tab" || value == "\t") return '\t';
  if (value == "," || value == ";" || value == "|") return value[0];
  throw tunecase::UserError(fmt::format(
      "--delimiter \"{}\": use one of \",\", \";\", \"tab\", \"|\" or \"auto\"", value));
}

void run(const InspectArgs& a, const CLI::App& cmd) {
  tunecase::DataConfig data;
  tunecase::RedactionRules redact;  // [privacy] redact: the report quotes rows
  if (a.config.empty()) {
    data = data_from_flags(a.data);
  } else {
    tunecase::ProjectConfig config = tunecase::load_config(a.config);
    data = config.data;
    redact = config.privacy.rules;
    override_data(data, a.data, cmd, a.config);
  }
  if (!a.delimiter.empty()) data.delimiter = delimiter_flag(a.delimiter);
  if (a.normalize_labels) data.normalize_labels = true;
  if (a.skip_invalid) data.skip_invalid = true;
  // Data that cannot be evaluated (one label, nothing left for a test split) is still
  // inspected: the report shows why (repeated texts, conflicting labels).
  tunecase::PreparedData prepared =
      tunecase::with_redacted_texts(tunecase::prepare_data(data, /*evaluable=*/false), redact);
  // A folder that takes no files is refused before the label-noise check's minutes, not after.
  tunecase::create_output_dir(a.out);
  tunecase::InspectOptions options = tunecase::inspect_options(data);
  options.label_noise = !a.no_noise;
  options.folds = a.folds;
  options.progress = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
  tunecase::DataQuality quality = tunecase::inspect_data(prepared, options);
  tunecase::write_data_quality(a.out, quality);
  fmt::print("{}", tunecase::data_quality_summary(quality));
  fmt::print("wrote {}/data.json, data.md, data.html, suspect_labels.csv\n", a.out);
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Data-quality report: label variants, balance, near-duplicates and leakage, label noise");
  cmd->add_option(
      "--config", args->config,
      "Project config (TOML); its [data] table is used, data flags given with it replace its keys");
  add_data_flags(cmd, args->data, false);
  cmd->add_option("--delimiter", args->delimiter, "CSV delimiter: , ; tab | (default: sniffed)");
  cmd->add_flag("--normalize-labels", args->normalize_labels,
                "Map label variants to their most frequent spelling");
  cmd->add_option("--folds", args->folds, "Folds of the label-noise models")
      ->capture_default_str()
      ->check(CLI::Range(2, 20));
  cmd->add_flag("--no-noise", args->no_noise, "Skip the label-noise estimate (the slow part)");
  cmd->add_flag("--skip-invalid", args->skip_invalid, "Skip and count malformed rows");
  cmd->add_option("--out", args->out, "Output folder")->capture_default_str();
  cmd->callback([args, cmd] { run(*args, *cmd); });
}
