#include <fmt/format.h>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/data/prepare.h"
#include "tunecase/quality/inspect.h"
#include "tunecase/quality/quality_report.h"

namespace {

struct InspectArgs {
  std::string config, data, train, dev, test, text = "text", label = "label", delimiter;
  std::string out = "tunecase-inspect";
  bool normalize_labels = false, no_noise = false, skip_invalid = false;
  int folds = 5;
};

tunecase::DataConfig data_from_flags(const InspectArgs& a) {
  using tunecase::UserError;
  if (a.data.empty() && a.train.empty()) {
    throw UserError(
        "give --config FILE, or --data FILE (or --train/--test) with --text and --label");
  }
  if (!a.data.empty() && !a.train.empty())
    throw UserError("give --data or --train/--test, not both");
  if (!a.train.empty() && a.test.empty()) throw UserError("--train needs --test");
  tunecase::DataConfig d;
  d.path = a.data;
  d.train = a.train;
  d.dev = a.dev;
  d.test = a.test;
  d.text = a.text;
  d.label = a.label;
  return d;
}

char delimiter_flag(const std::string& value) {
  if (value.empty() || value == "auto") return 0;
  if (value == "tab" || value == "\t") return '\t';
  if (value == "," || value == ";" || value == "|") return value[0];
  throw tunecase::UserError(fmt::format(
      "--delimiter \"{}\": use one of \",\", \";\", \"tab\", \"|\" or \"auto\"", value));
}

void run(const InspectArgs& a) {
  tunecase::DataConfig data =
      a.config.empty() ? data_from_flags(a) : tunecase::load_config(a.config).data;
  if (!a.delimiter.empty()) data.delimiter = delimiter_flag(a.delimiter);
  if (a.normalize_labels) data.normalize_labels = true;
  if (a.skip_invalid) data.skip_invalid = true;
  tunecase::PreparedData prepared = tunecase::prepare_data(data);
  tunecase::InspectOptions options = tunecase::inspect_options(data);
  options.label_noise = !a.no_noise;
  options.folds = a.folds;
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
  cmd->add_option("--config", args->config, "Project config (TOML); its [data] table is used");
  cmd->add_option("--data", args->data, "One labelled CSV/JSONL file");
  cmd->add_option("--train", args->train, "Pre-split train file");
  cmd->add_option("--dev", args->dev, "Pre-split dev file (optional)");
  cmd->add_option("--test", args->test, "Pre-split test file");
  cmd->add_option("--text", args->text, "Text column or field")->capture_default_str();
  cmd->add_option("--label", args->label, "Label column or field")->capture_default_str();
  cmd->add_option("--delimiter", args->delimiter, "CSV delimiter: , ; tab | (default: sniffed)");
  cmd->add_flag("--normalize-labels", args->normalize_labels,
                "Map label variants to their most frequent spelling");
  cmd->add_option("--folds", args->folds, "Folds of the label-noise models")
      ->capture_default_str()
      ->check(CLI::Range(2, 20));
  cmd->add_flag("--no-noise", args->no_noise, "Skip the label-noise estimate (the slow part)");
  cmd->add_flag("--skip-invalid", args->skip_invalid, "Skip and count malformed rows");
  cmd->add_option("--out", args->out, "Output folder")->capture_default_str();
  cmd->callback([args] { run(*args); });
}
