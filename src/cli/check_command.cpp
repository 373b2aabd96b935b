#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/config/privacy_policy.h"
#include "tunecase/core/error.h"
#include "tunecase/core/suggest.h"
#include "tunecase/curve/curve_run.h"
#include "tunecase/data/prepare.h"
#include "tunecase/llm/prices.h"
#include "tunecase/llm/prompt_template.h"
#include "tunecase/llm/provider.h"
#include "tunecase/optimize/search_space.h"
#include "tunecase/report/eval_report.h"

namespace {

struct CheckArgs {
  std::string config;
  bool reference = false;
};

// Prepares [data] as eval does (prepare_data: read, de-duplicate, split): a missing file, a
// misspelt column or a bad row is found here, not after the config was called valid. Returns
// what it read, for the settings' printout.
std::string check_data(const tunecase::ProjectConfig& config) {
  const tunecase::DataConfig& d = config.data;
  if (d.path.empty() && d.train.empty()) return "";  // no [data] (decide's scenario mode)
  tunecase::DatasetSummary s;
  try {
    s = tunecase::prepare_data(d).summary;
  } catch (const tunecase::UserError& e) {
    throw tunecase::UserError(
        fmt::format("{}: the settings are valid, but [data] cannot be read: {}",
                    config.file.string(), e.what()));
  }
  std::string out = fmt::format(
      "\ndata (read as eval reads it)\n  {} rows, {} labels: train {}, dev {}, test {}; {} "
      "duplicates removed{}{}, {} rows skipped\n",
      s.rows, s.labels, s.train, s.dev, s.test, s.duplicates_removed,
      s.label_ties_dropped > 0
          ? fmt::format(" and {} text{} dropped whose copies' labels tied", s.label_ties_dropped,
                        s.label_ties_dropped == 1 ? "" : "s")
          : "",
      s.copies_removed().empty() ? "" : "; " + s.copies_removed(), s.skipped_rows);
  if (std::string left = s.rows_in_no_split(); !left.empty()) out += "  note: " + left + "\n";
  if (!s.label_variants.empty() && !s.labels_normalized)
    out += fmt::format(
        "  note: {} group{} of labels equal but for case, width or spacing (e.g. {}), kept apart; "
        "[data] normalize_labels = true merges each group into its most frequent spelling "
        "(tunecase inspect lists them)\n",
        s.label_variants.size(), s.label_variants.size() == 1 ? "" : "s",
        tunecase::quoted_list(
            [&] {
              std::vector<std::string> names;
              for (const auto& [spelling, rows] : s.label_variants.front().spellings)
                names.push_back(spelling);
              return names;
            }(),
            3));
  for (const std::string& warning : tunecase::dataset_warnings(s.to_json()))
    out += "  " + warning + "\n";
  return out;
}

// The tables other commands read when they start: [optimize] and [curve] name approaches, which
// must exist and be of a kind those commands can use. Read here as `optimize` and `curve` read
// them, so that a config called valid does not fail there.
void check_commands_tables(const tunecase::ProjectConfig& config) {
  if (config.optimize.present) (void)tunecase::read_optimize_settings(config);
  if (config.curve.present) (void)tunecase::read_curve_settings(config, std::nullopt, std::nullopt);
}

// The files an approach names: a prompt template or price catalogue that cannot be read is an
// error (eval stops on it), read here as eval reads it, and so is a folder where a file goes or
// a file where a model folder goes; a model folder or fine-tuning record that does not exist yet
// is a note (the commands that write them come later), and so is a model the catalogue has no
// price for, an API key not in this shell's environment, and an LLM approach without a model
// (decide prices it from its typed figures; eval, optimize, curve and serve refuse it). Returns
// the notes.
std::string check_approach_files(const tunecase::ProjectConfig& config) {
  std::string notes, unpriced, keys, no_model;
  for (const tunecase::ApproachConfig& a : config.approaches) {
    auto fail = [&](const std::string& key, const std::string& what) {
      throw tunecase::UserError(
          fmt::format("{}: [[approach]] '{}' ({}): the settings are valid, "
                      "but its {} cannot be read: {}",
                      config.file.string(), a.name, a.where, key, what));
    };
    if (a.is_llm() && a.llm.model.empty())  // decide's scenario mode needs none
      no_model += fmt::format(
          "  '{}' ({}): no model; decide prices it from the figures its table gives, but eval, "
          "optimize, curve and serve refuse it until its table has model = \"<model id>\"\n",
          a.name, a.where);
    if (a.is_llm() && !a.llm.api_key_env.empty()) {
      try {
        (void)tunecase::read_api_key(a);
      } catch (const tunecase::UserError& e) {
        keys += fmt::format("  {}\n", e.what());
      }
    }
    if (a.is_llm()) {
      try {
        if (!a.llm.template_file.empty()) (void)tunecase::load_prompt_template(a.llm.template_file);
      } catch (const tunecase::UserError& e) {
        fail("template_file", e.what());
      }
      // The catalogue eval prices the approach from: its own `prices`, else TUNECASE_PRICES or
      // the shipped one (a TUNECASE_PRICES that cannot be read had passed check and stopped eval).
      std::optional<tunecase::PriceCatalogue> catalogue;
      if (!a.llm.price) try {
          catalogue = tunecase::PriceCatalogue::for_approach(a);
        } catch (const tunecase::UserError& e) {
          fail(a.llm.prices.empty() ? "price catalogue" : "prices", e.what());
        }
      if (catalogue && !a.llm.model.empty() && !tunecase::price_for(a, *catalogue))
        unpriced += fmt::format(
            "  '{}': model '{}' has no price in {}; eval reports its cost as unknown (null, "
            "never $0) and asks before sending. To price it: {}\n",
            a.name, a.llm.model, catalogue->origin(), tunecase::missing_price_remedy());
    }
    std::error_code error;
    if (!a.model_dir.empty() && std::filesystem::exists(a.model_dir, error) &&
        !std::filesystem::is_directory(a.model_dir, error))
      fail("model_dir", a.model_dir.string() +
                            ": is a file, not a model folder (tunecase eval writes model folders "
                            "under its output folder's models/)");
    if (!a.model_dir.empty() && !std::filesystem::is_directory(a.model_dir, error))
      notes += fmt::format(
          "  '{}': model_dir {} does not exist yet; serve and predict need it (`tunecase eval` "
          "writes a trained model under its output folder's models/)\n",
          a.name, a.model_dir.string());
    else if (!a.model_dir.empty() && !std::filesystem::exists(a.model_dir / "approach.json", error))
      notes += fmt::format(
          "  '{}': model_dir {} holds no trained model yet (no approach.json); serve and predict "
          "need one (`tunecase eval` writes a trained model under its output folder's models/)\n",
          a.name, a.model_dir.string());
    if (!a.costs.finetune_record.empty() &&
        std::filesystem::is_directory(a.costs.finetune_record, error))
      fail("finetune_record", a.costs.finetune_record.string() +
                                  ": is a folder, not a finetune.json (`tunecase finetune` "
                                  "writes finetune.json in its output folder)");
    // Read as decide reads it: a record that is not JSON stops decide.
    if (!a.costs.finetune_record.empty() &&
        std::filesystem::is_regular_file(a.costs.finetune_record, error)) {
      std::ifstream in(a.costs.finetune_record);
      const nlohmann::json record = nlohmann::json::parse(in, nullptr, false);
      if (!record.is_object() || !record.contains("job") || !record["job"].is_object())
        fail("finetune_record", a.costs.finetune_record.string() +
                                    ": not a finetune.json (no JSON object with a \"job\"); "
                                    "run `tunecase finetune` for this approach or remove the "
                                    "key");
    }
    if (!a.costs.finetune_record.empty() && !std::filesystem::exists(a.costs.finetune_record))
      notes += fmt::format(
          "  '{}': finetune_record {} does not exist yet; decide needs it (`tunecase finetune` "
          "writes finetune.json in its output folder)\n",
          a.name, a.costs.finetune_record.string());
  }
  // local_only: the approaches every command that sends would refuse, said as they say it.
  std::string local;
  try {
    tunecase::enforce_local_only(config.privacy, config.approaches,
                                 "eval, optimize, curve, serve and monitor --canary refuse them");
  } catch (const tunecase::UserError& e) {
    local = fmt::format("\nlocal_only\n  {}\n", e.what());
  }
  const std::string nothing =
      config.approaches.empty()
          ? "\nnothing to run\n  no [[approach]] table: eval, decide, serve and the other "
            "commands refuse this config; add one (see --reference, [[approach]])\n"
          : "";
  return nothing + local + (notes.empty() ? "" : "\nfiles not there yet\n" + notes) +
         (unpriced.empty() ? "" : "\nprices not known\n" + unpriced) +
         (keys.empty() ? "" : "\nAPI keys this shell could not send\n" + keys) +
         (no_model.empty() ? "" : "\napproaches only decide can use\n" + no_model);
}

void run(const CheckArgs& a) {
  if (a.reference) {
    if (!a.config.empty())
      throw tunecase::UserError(
          "--reference prints the reference of every key and reads no config; give --config "
          "FILE or --reference, not both");
    fmt::print("{}", tunecase::configuration_reference());
    return;
  }
  if (a.config.empty()) throw tunecase::UserError("give --config FILE (or --reference)");
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  check_commands_tables(config);
  std::string files = check_approach_files(config);
  std::string data = check_data(config);
  fmt::print("{}{}{}", tunecase::describe_settings(config), files, data);
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
