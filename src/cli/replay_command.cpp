// `tunecase replay`: a time-stamped labelled file day by day under each retraining policy
// in-process, or through a running gateway over HTTP with the day's monitor and retrain on its
// store (docs/operate.md).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/config/measured_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/data/label_variants.h"
#include "tunecase/data/prepare.h"
#include "tunecase/data/reader.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/monitor/replay.h"
#include "tunecase/monitor/replay_gateway.h"
#include "tunecase/runner/cache_location.h"

namespace {

struct ReplayArgs {
  std::string config, approach, out = "replay";
  int initial_days = 60, delay_days = 3;
  // Through a running gateway (docs/operate.md, "Replay through the gateway").
  std::string gateway, store, token_env, eval;
  int64_t min_holdout = 100;
  int concurrency = 8;
  bool yes = false, skip_invalid = false;
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

// The file's rows to replay, and what was left out or changed on the way, said as eval says it
// ("" when nothing was): a replay had dropped rows without a label or a text in silence, and
// replayed labels [data] normalize_labels would have merged (or [labels] refuses) as written.
struct ReplayData {
  std::vector<tunecase::monitor::ReplayItem> items;
  std::string note;
};

ReplayData read_items(const tunecase::ProjectConfig& config) {
  if (config.data.path.empty() || config.data.time.empty())
    throw tunecase::UserError(
        fmt::format("{}: replay needs one time-stamped file: [data] path and [data] time",
                    config.file.string()));
  tunecase::ReadResult r =
      tunecase::read_examples(config.data.path, tunecase::read_options(config.data));
  std::vector<std::string> notes;
  std::vector<std::string> left_out;
  if (!r.unlabelled.empty())
    left_out.push_back(fmt::format("{} without a label", r.unlabelled.size()));
  if (r.empty_text_skipped > 0)
    left_out.push_back(fmt::format("{} with an empty text", r.empty_text_skipped));
  if (r.invalid_skipped > 0)
    left_out.push_back(fmt::format("{} malformed ([data] skip_invalid)", r.invalid_skipped));
  if (!left_out.empty())
    notes.push_back(fmt::format("{} of the {} rows read are not replayed: {}",
                                r.rows - r.labelled.size(), r.rows, fmt::join(left_out, ", ")));
  if (r.labels_mapped_to_allowed > 0)
    notes.push_back(fmt::format("[data] normalize_labels read {} labels as their [labels] spelling",
                                r.labels_mapped_to_allowed));
  auto variants = tunecase::find_label_variants({&r.labelled});
  if (!variants.empty()) {
    std::vector<std::string> groups;
    for (const auto& g : variants) {
      std::vector<std::string> spellings;
      for (const auto& [spelling, rows] : g.spellings)
        spellings.push_back(fmt::format("'{}' ({})", spelling, rows));
      groups.push_back(fmt::format("{}", fmt::join(spellings, ", ")));
    }
    if (config.data.normalize_labels) {
      std::size_t changed = tunecase::apply_label_variants(variants, r.labelled);
      notes.push_back(
          fmt::format("[data] normalize_labels mapped {} rows to one spelling of "
                      "their label ({})",
                      changed, fmt::join(groups, "; ")));
    } else {
      notes.push_back(
          fmt::format("labels that differ only in case, spacing or Unicode form are "
                      "replayed as different labels ({}); [data] normalize_labels = "
                      "true maps each to its most frequent spelling, as eval does",
                      fmt::join(groups, "; ")));
    }
  }
  return {tunecase::monitor::replay_items(r.labelled), fmt::format("{}", fmt::join(notes, ". "))};
}

// The data note in the report (under its title) and on stderr, where a run is watched.
void add_data_note(nlohmann::json& doc, const std::string& note) {
  if (note.empty()) return;
  doc["data_note"] = note;
  fmt::print(stderr, "replay: {}\n", note);
}

void write_outputs(const nlohmann::json& doc, const std::filesystem::path& out) {
  tunecase::create_output_dir(out);
  write_text_file(out / "replay.json", doc.dump(2) + "\n");
  write_text_file(out / "replay.md", tunecase::monitor::replay_markdown(doc));
  write_text_file(out / "replay.html", tunecase::monitor::replay_html(doc));
}

// Replay can see what the served model was trained on only through --eval: an eval.json of this
// very file trained on a split of all of it, the days replayed included, and the accuracy the
// replay then measures is inflated.
// Returns the warning ("" = none), said on stderr and kept in the report.
// The train rows of the eval.json in `eval_dir` (or the file itself), when it says.
std::optional<std::size_t> eval_train_rows(const std::string& eval_dir) {
  if (eval_dir.empty()) return std::nullopt;
  std::filesystem::path file = eval_dir;
  if (std::filesystem::is_directory(file)) file /= "eval.json";
  std::ifstream in(file, std::ios::binary);
  nlohmann::json eval = nlohmann::json::parse(in, nullptr, false);
  if (eval.is_discarded() || !eval.is_object() || !eval.contains("dataset") ||
      !eval["dataset"].is_object() || !eval["dataset"].contains("train") ||
      !eval["dataset"]["train"].is_number_unsigned())
    return std::nullopt;
  return eval["dataset"]["train"].get<std::size_t>();
}

std::string warn_if_trained_on_replayed_days(const std::string& eval_dir,
                                             const tunecase::ProjectConfig& config,
                                             int initial_days) {
  if (eval_dir.empty()) return {};
  std::filesystem::path file = eval_dir;
  if (std::filesystem::is_directory(file)) file /= "eval.json";
  std::ifstream in(file, std::ios::binary);
  nlohmann::json eval = nlohmann::json::parse(in, nullptr, false);
  if (eval.is_discarded() || !eval.is_object()) return {};
  const nlohmann::json* settings = nullptr;
  if (eval.contains("dataset") && eval["dataset"].is_object() &&
      eval["dataset"].contains("settings"))
    settings = &eval["dataset"]["settings"];
  if (settings == nullptr || !settings->contains("file_hashes")) return {};
  const nlohmann::json now = tunecase::measured_data_settings(config.data);
  if (!now.contains("file_hashes") || (*settings)["file_hashes"] != now["file_hashes"]) return {};
  std::string warning = fmt::format(
      "--eval {} was measured on this same file, so the model it trained (and the gateway "
      "serves, if it is that one) learnt from rows of the days replayed: the accuracy is then "
      "inflated. Train the served model on the first {} days alone (docs/operate.md, replay "
      "through the gateway)",
      eval_dir, initial_days);
  fmt::print(stderr, "warning: {}\n", warning);
  return warning;
}

// The file through a running gateway, day by day, with the day's operation (monitor, then
// retrain --if-due) on its store after each day.
ReplayRun run_through_gateway(const tunecase::ProjectConfig& config, const ReplayArgs& a) {
  namespace mon = tunecase::monitor;
  if (a.store.empty())
    throw tunecase::UserError(
        "--gateway needs --store: the gateway's own store, where the day's monitor and retrain "
        "run");
  if (a.initial_days < 1 || a.delay_days < 0)
    throw tunecase::UserError("--initial-days must be >= 1 and --delay-days >= 0");
  // A retrain trains on the texts the gateway kept: without them the first due retrain stops the
  // replay weeks in, after its traffic is stored. Said before anything is sent.
  if (config.retrain.policy != "none" && !config.monitor.keep_texts)
    throw tunecase::UserError(fmt::format(
        "{}: [retrain] policy = \"{}\" retrains on the texts the gateway keeps, and [monitor] "
        "keep_texts is off: set keep_texts = true in the config both serve and replay read, and "
        "restart the gateway (or set policy = \"none\" to replay without retraining)",
        config.file.string(), config.retrain.policy));
  auto [items, data_note] = read_items(config);
  // The replay's labels come --delay-days after each day; a silence threshold shorter than that
  // fires no_feedback at launch, before the first label could arrive.
  if (a.delay_days * 24.0 > config.monitor.feedback_silence_hours)
    fmt::print(stderr,
               "note: labels come {} days after each replayed day, past [monitor] "
               "feedback_silence_hours ({:g}): the no_feedback alert will fire at launch, before "
               "the first label arrives; set feedback_silence_hours to at least {} (in the config "
               "both serve and monitor read) to replay without it\n",
               a.delay_days, config.monitor.feedback_silence_hours, a.delay_days * 24);
  std::unique_ptr<tunecase::HttpClient> http = tunecase::make_http_client(a.concurrency * 2);
  mon::GatewayReplaySettings g;
  g.url = a.gateway;
  g.token = read_token_env(a.token_env);
  g.initial_days = a.initial_days;
  g.feedback_delay_days = a.delay_days;
  g.min_labelled = config.monitor.min_labelled;
  g.concurrency = a.concurrency;
  g.policy = config.retrain.policy + " (through the gateway)";
  g.cost_per_error_usd = config.business.cost_per_error_usd.value_or(0);
  g.cost_per_error_by_label = config.business.cost_per_error_by_label;
  g.usd_per_retrain = config.retrain.usd_per_retrain.value_or(0);
  const std::string champion = mon::gateway_champion(g, *http);

  auto store = open_existing_store(a.store);
  mon::DailyOperation op;
  op.config = &config;
  op.store = store.get();
  op.approach = champion;
  mon::RetrainRequest& r = op.retrain;
  r.eval_dir = a.eval;
  r.out_dir = std::filesystem::path(a.out) / "retrain";
  const int64_t start = items.empty() ? 0 : items.front().day + a.initial_days;
  std::set<std::string> labels;
  for (const auto& it : items) {
    labels.insert(it.label);
    if (it.day >= start) continue;
    tunecase::Example e;
    e.text = it.text;
    e.label = it.label;
    r.original.push_back(std::move(e));
  }
  r.labels.assign(labels.begin(), labels.end());
  // A holdout window that cannot hold --min-holdout items at the file's volume refuses every
  // retrain, each one counted at usd_per_retrain: said before the first day is sent.
  if (config.retrain.policy != "none" && !items.empty() && items.back().day >= start) {
    const auto sent =
        std::count_if(items.begin(), items.end(), [&](const auto& it) { return it.day >= start; });
    const double per_day = double(sent) / double(items.back().day - start + 1);
    const double holdout = per_day * config.retrain.holdout_days;
    if (holdout < double(a.min_holdout))
      fmt::print(stderr,
                 "warning: the file brings about {:.0f} labelled items a day, so a holdout of "
                 "{} days ([retrain] holdout_days) holds at most about {:.0f}, under "
                 "--min-holdout {}: every retrain would be refused. Pass a --min-holdout well "
                 "under it (about {:.0f}: items of the original data are left out of a holdout, "
                 "and days vary), or raise holdout_days\n",
                 per_day, config.retrain.holdout_days, holdout, a.min_holdout,
                 std::max(1.0, std::floor(holdout * 0.5)));
  }
  r.rule.min_gain = config.retrain.min_gain;
  r.rule.min_holdout = a.min_holdout;
  r.holdout_days = config.retrain.holdout_days;
  r.by = "tunecase replay (retrain --if-due)";
  r.http = http.get();
  r.llm.assume_yes = a.yes;
  r.llm.progress = false;
  r.llm.cache_file = tunecase::resolve_cache_file({}, a.config);
  r.log = &std::cerr;
  // Each retrain's report is written as `tunecase retrain` writes it, in a folder of its day:
  // a refusal's reasons (and the monitor's "see its retrain.md") have a file to point to.
  g.end_of_day = [&op](int64_t now_ms, bool drift) {
    mon::DayOperation day = op.run(now_ms, drift);
    if (day.retrain) {
      const std::filesystem::path folder = day.retrain_folder;
      std::filesystem::create_directories(folder);
      write_text_file(folder / "retrain.json", mon::retrain_json(*day.retrain).dump(2) + "\n");
      write_text_file(folder / "retrain.md", mon::retrain_markdown(*day.retrain));
    }
    return day;
  };
  g.store_holds = [&store](const std::string& id) {
    return store->find_prediction(id).has_value();
  };

  // The items after the initial days are the ones sent (the count had included the initial
  // days' rows the same sentence says are not sent).
  int64_t first_day = items.empty() ? 0 : items.front().day;
  for (const auto& item : items) first_day = std::min(first_day, item.day);
  const auto to_send = std::count_if(items.begin(), items.end(), [&](const auto& item) {
    return item.day >= first_day + a.initial_days;
  });
  fmt::print(stderr,
             "replaying {} of the file's {} items through {} (champion '{}', policy {}); the "
             "first {} days are not sent: the served model should be trained on them alone\n",
             to_send, items.size(), a.gateway, champion, config.retrain.policy, a.initial_days);
  const std::string trained_on_replayed =
      warn_if_trained_on_replayed_days(a.eval, config, a.initial_days);
  auto started = std::chrono::steady_clock::now();
  mon::PolicyRun run = mon::replay_through_gateway(items, g, *http, std::cerr);
  ReplayRun result;
  result.items = run.items;  // sent: the items after the first initial_days days
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  mon::ReplaySettings s;
  if (const auto* approach = config.find_approach(champion)) s.approach = *approach;
  s.approach.name = champion;
  s.initial_days = a.initial_days;
  s.feedback_delay_days = a.delay_days;
  s.monitor = config.monitor;
  s.retrain = config.retrain;
  s.cost_per_error_usd = config.business.cost_per_error_usd;
  s.cost_per_error_by_label = config.business.cost_per_error_by_label;
  result.document = mon::replay_json({run}, s);
  result.document["gateway"] = a.gateway;
  // This replay trained no first model: the gateway serves eval's (0 rows had been reported).
  result.document.erase("initial_rows");
  if (auto rows = eval_train_rows(a.eval)) result.document["served_model_train_rows"] = *rows;
  result.document["simplifications"] =
      "Through the gateway over HTTP on its replay clock: a day's labels arrive together after "
      "the delay; after each day `tunecase monitor` and `tunecase retrain --if-due` run on its "
      "store, with the champion/challenger gate, and the gateway loads what they promote";
  result.document["seconds"] = result.seconds;
  std::string warning = trained_on_replayed;
  if (std::string gaps = mon::replay_gap_warning(items, a.initial_days); !gaps.empty())
    warning += (warning.empty() ? "" : " Also: ") + gaps;
  if (!warning.empty()) result.document["warning"] = warning;
  add_data_note(result.document, data_note);
  write_outputs(result.document, a.out);
  return result;
}

void run(const ReplayArgs& a) {
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  // As eval and inspect take it: the reader's own message names the flag.
  if (a.skip_invalid) config.data.skip_invalid = true;
  ReplayRun r = a.gateway.empty()
                    ? run_replay(config, a.approach, a.initial_days, a.delay_days, a.out)
                    : run_through_gateway(config, a);
  std::cout << tunecase::monitor::replay_markdown(r.document);
  fmt::print("replayed {} items in {:.1f} s; wrote {}/replay.md, replay.html, replay.json\n",
             r.items, r.seconds, a.out);
}

}  // namespace

ReplayRun run_replay(const tunecase::ProjectConfig& config, const std::string& approach,
                     int initial_days, int delay_days, const std::filesystem::path& out) {
  if (initial_days < 1 || delay_days < 0)
    throw tunecase::UserError("--initial-days must be >= 1 and --delay-days >= 0");
  auto [items, data_note] = read_items(config);
  tunecase::monitor::ReplaySettings s;
  s.approach = pick_approach(config, approach);
  s.initial_days = initial_days;
  s.feedback_delay_days = delay_days;
  s.monitor = config.monitor;
  s.retrain = config.retrain;
  s.cost_per_error_usd = config.business.cost_per_error_usd;
  s.cost_per_error_by_label = config.business.cost_per_error_by_label;
  s.drift_redaction = config.privacy.rules;
  auto started = std::chrono::steady_clock::now();
  auto runs = tunecase::monitor::replay(items, s);
  ReplayRun result;
  // Replayed: the items after the initial days (the first model trained on those), as the
  // report's table counts them; the whole file had been printed as replayed.
  result.items = runs.empty() ? 0 : runs.front().items;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.document = tunecase::monitor::replay_json(runs, s);
  result.document["seconds"] = result.seconds;
  if (std::string gaps = tunecase::monitor::replay_gap_warning(items, initial_days); !gaps.empty())
    result.document["warning"] = gaps;
  add_data_note(result.document, data_note);
  write_outputs(result.document, out);
  return result;
}

void add_replay_command(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand(
      "replay",
      "Replay a time-stamped labelled file day by day under each retraining policy (or through "
      "a running gateway with --gateway), with late labels, and compare their accuracy and "
      "money");
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
  cmd->add_option("--gateway", args->gateway,
                  "replay through this running gateway over HTTP (http://HOST:PORT; started "
                  "with --replay-clock) instead of in-process");
  cmd->add_option("--store", args->store,
                  "with --gateway: the gateway's store, where the day's monitor and retrain run");
  cmd->add_option("--token-env", args->token_env,
                  "with --gateway: environment variable holding the gateway's bearer token");
  cmd->add_option("--eval", args->eval,
                  "with --gateway: the eval output folder (the champion's model when the "
                  "registry has none)");
  cmd->add_option("--min-holdout", args->min_holdout,
                  "with --gateway: labelled held-out items a retrain needs to promote")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  cmd->add_option("--concurrency", args->concurrency, "with --gateway: a day's requests in flight")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--skip-invalid", args->skip_invalid,
                "Skip and count malformed rows (skip_invalid = true in [data])");
  cmd->add_flag("--yes,-y", args->yes,
                "with --gateway: do not ask before an LLM approach's retrain spends");
  cmd->callback([args] { run(*args); });
}
