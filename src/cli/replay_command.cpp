// `tunecase replay`: a time-stamped labelled file day by day under each retraining policy
// (docs/operate.md).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/data/reader.h"
#include "tunecase/monitor/replay.h"

namespace {

struct ReplayArgs {
  std::string config, approach, out = "replay";
  int initial_days = 60, delay_days = 3;
};

void write_file(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out) throw tunecase::UserError(fmt::format("{}: cannot write the file", file.string()));
}

const tunecase::ApproachConfig& pick_approach(const tunecase::ProjectConfig& c,
                                              const std::string& name) {
  for (const auto& a : c.approaches)
    if ((name.empty() && a.is_local()) || a.name == name) {
      if (!a.is_local())
        throw tunecase::UserError(fmt::format(
            "--approach {}: replay retrains, so it needs a local approach (linear, fasttext, "
            "retrieval)",
            name));
      return a;
    }
  throw tunecase::UserError(name.empty()
                                ? std::string("the config has no local [[approach]] to replay")
                                : fmt::format("--approach {}: no such [[approach]]", name));
}

void run(const ReplayArgs& a) {
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  if (config.data.path.empty() || config.data.time.empty())
    throw tunecase::UserError(fmt::format(
        "{}: replay needs one time-stamped file: [data] path and [data] time", a.config));
  if (a.initial_days < 1 || a.delay_days < 0)
    throw tunecase::UserError("--initial-days must be >= 1 and --delay-days >= 0");
  tunecase::ReadOptions read;
  read.text_column = config.data.text;
  read.label_column = config.data.label;
  read.time_column = config.data.time;
  read.id_column = config.data.id;
  read.skip_invalid = config.data.skip_invalid;
  read.delimiter = config.data.delimiter;
  auto items =
      tunecase::monitor::replay_items(tunecase::read_examples(config.data.path, read).labelled);

  tunecase::monitor::ReplaySettings s;
  s.approach = pick_approach(config, a.approach);
  s.initial_days = a.initial_days;
  s.feedback_delay_days = a.delay_days;
  s.monitor = config.monitor;
  s.retrain = config.retrain;
  s.cost_per_error_usd = config.business.cost_per_error_usd.value_or(0);
  auto started = std::chrono::steady_clock::now();
  auto runs = tunecase::monitor::replay(items, s);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  nlohmann::json doc = tunecase::monitor::replay_json(runs, s);
  doc["seconds"] = seconds;
  std::filesystem::path out(a.out);
  std::filesystem::create_directories(out);
  write_file(out / "replay.json", doc.dump(2) + "\n");
  std::string md = tunecase::monitor::replay_markdown(doc);
  write_file(out / "replay.md", md);
  write_file(out / "replay.html", tunecase::monitor::replay_html(doc));
  std::cout << md;
  fmt::print("replayed {} items in {:.1f} s; wrote {}/replay.md, replay.html, replay.json\n",
             items.size(), seconds, out.string());
}

}  // namespace

void add_replay_command(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand(
      "replay",
      "Replay a time-stamped labelled file day by day under each retraining policy, with late "
      "labels, and compare their accuracy and money");
  cmd->add_option("--config", args->config,
                  "project config: [data] path and time, a local "
                  "[[approach]], [monitor], [retrain], [business]")
      ->required();
  cmd->add_option("--approach", args->approach, "the local approach (default: the first)");
  cmd->add_option("--initial-days", args->initial_days, "days the first model trains on")
      ->capture_default_str();
  cmd->add_option("--delay-days", args->delay_days, "days until a day's labels arrive")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "folder for replay.md, replay.html, replay.json")
      ->capture_default_str();
  cmd->callback([args] { run(*args); });
}
