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
  ReplayRun r = run_replay(config, a.approach, a.initial_days, a.delay_days, a.out);
  std::cout << tunecase::monitor::replay_markdown(r.document);
  fmt::print("replayed {} items in {:.1f} s; wrote {}/replay.md, replay.html, replay.json\n",
             r.items, r.seconds, a.out);
}

}  // namespace

ReplayRun run_replay(const tunecase::ProjectConfig& config, const std::string& approach,
                     int initial_days, int delay_days, const std::filesystem::path& out) {
  if (config.data.path.empty() || config.data.time.empty())
    throw tunecase::UserError(
        fmt::format("{}: replay needs one time-stamped file: [data] path and [data] time",
                    config.file.string()));
  if (initial_days < 1 || delay_days < 0)
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
  s.approach = pick_approach(config, approach);
  s.initial_days = initial_days;
  s.feedback_delay_days = delay_days;
  s.monitor = config.monitor;
  s.retrain = config.retrain;
  s.cost_per_error_usd = config.business.cost_per_error_usd.value_or(0);
  auto started = std::chrono::steady_clock::now();
  auto runs = tunecase::monitor::replay(items, s);
  ReplayRun result;
  result.items = static_cast<int64_t>(items.size());
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.document = tunecase::monitor::replay_json(runs, s);
  result.document["seconds"] = result.seconds;
  std::filesystem::create_directories(out);
  write_text_file(out / "replay.json", result.document.dump(2) + "\n");
  write_text_file(out / "replay.md", tunecase::monitor::replay_markdown(result.document));
  write_text_file(out / "replay.html", tunecase::monitor::replay_html(result.document));
  return result;
}

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
