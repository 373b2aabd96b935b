// `tunecase monitor`: daily figures, alerts and drift from the store (docs/operate.md).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "tunecase/config/config.h"
#include "tunecase/config/privacy_policy.h"
#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/data/prepare.h"
#include "tunecase/data/reader.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/monitor/alert_rules.h"
#include "tunecase/monitor/canary.h"
#include "tunecase/monitor/monitor.h"
#include "tunecase/monitor/monitor_report.h"
#include "tunecase/serve/pilot_plan.h"
#include "tunecase/store/store.h"

namespace {

// The alerts file is appended to only when an alert fires or resolves: named as written only
// when it exists.
std::string alerts_line(const std::filesystem::path& jsonl) {
  std::error_code ec;
  if (std::filesystem::exists(jsonl, ec)) return "alerts in " + jsonl.string();
  return "no alert event yet (" + jsonl.string() + " is written at the first)";
}

struct MonitorArgs {
  std::string store = "tunecase.db", config, out = "monitor", alerts, canary;
  int64_t now_ms = 0;
  bool no_drift = false, no_webhook = false, simulate = false, canary_force = false,
       local_only = false, yes = false;
  double canary_flip_alert = 0.10, max_cost = -1;
};

// The training texts for the out-of-vocabulary detector, when the config's data can be read.
std::vector<std::string> training_texts(const tunecase::ProjectConfig& config) {
  std::vector<std::string> out;
  if (config.data.path.empty() && config.data.train.empty()) return out;
  try {
    // Redacted by [privacy] as the gateway keeps the texts it compares them with: a placeholder
    // against the raw value it stands for would read as a new word.
    const tunecase::Redactor redactor(config.privacy.rules);
    for (auto& e : tunecase::prepare_data(config.data).splits.train)
      out.push_back(redactor.enabled() ? redactor.redact(e.text) : std::move(e.text));
  } catch (const tunecase::UserError& e) {
    fmt::print(stderr,
               "note: [data] not readable ({}); the reference window stands in for the "
               "training vocabulary\n",
               e.what());
  }
  return out;
}

// Prints the accuracy rule's false-alarm rate and detection delay for the config's settings.
void simulate(const tunecase::MonitorSettings& s) {
  // Days with just min_labelled labels, the fewest a counted day has, as the operation plan
  // simulates them (it raised them to 100, which showed a quieter rule than the config's).
  int64_t n = std::max<int64_t>(s.min_labelled, 1);
  auto r = tunecase::monitor::simulate_configured_rule(s, n);
  std::cout << tunecase::monitor::to_json(r).dump(2) << "\n";
  fmt::print(
      "rule {} (floor {:.0f}%, {} consecutive days, {} labels a day = min_labelled): {:.2f} "
      "false alarms a "
      "year at a true accuracy of {:.0f}%; a drop to {:.0f}% {}.\n",
      s.accuracy_rule, 100 * s.accuracy_floor, s.consecutive_days, n, r.false_alarms_per_year,
      100 * r.accuracy_before, 100 * r.accuracy_after,
      tunecase::monitor::detection_in_words(r, s.min_labelled));
}

std::string policy_in_words(const tunecase::RetrainSettings& r) {
  const std::string owner = r.owner.empty() ? "UNASSIGNED" : r.owner;
  if (r.policy == "scheduled")
    return fmt::format("scheduled, every {} weeks (decides: {})", r.every_weeks, owner);
  if (r.policy == "triggered")
    return fmt::format("triggered, within {} days of an accuracy alert (decides: {})",
                       r.within_days, owner);
  if (r.policy == "both")
    return fmt::format("every {} weeks, and within {} days of an accuracy alert (decides: {})",
                       r.every_weeks, r.within_days, owner);
  return "none: no retraining planned (set [retrain] policy; docs/operate.md)";
}

// `--canary FILE`: the fixed labelled set sent to every LLM approach, compared with its first run.
int run_canary(const MonitorArgs& a, const tunecase::ProjectConfig& config, tunecase::Store& store,
               const tunecase::monitor::AlertOutputs& outputs, const std::filesystem::path& out) {
  namespace mon = tunecase::monitor;
  tunecase::ReadOptions read;
  read.text_column = config.data.text;
  read.label_column = config.data.label;
  read.delimiter = config.data.delimiter;
  read.allowed_labels = config.data.allowed_labels;
  tunecase::Examples canary = tunecase::read_examples(a.canary, read).labelled;
  // The prompts are built as the gateway builds them: the [data] train split as the example
  // pool, the label set of the data (or of [labels]).
  tunecase::Examples train;
  std::vector<std::string> labels = config.data.allowed_labels;
  if (!config.data.path.empty() || config.data.pre_split()) {
    tunecase::PreparedData data = tunecase::prepare_data(config.data);
    train = data.splits.train;
    labels = data.labels;
  }
  if (labels.empty())
    for (const auto& [label, description] : config.label_descriptions) labels.push_back(label);
  // Refused up front under local_only (each approach's constructor would refuse too, but only
  // after the approaches before it had sent the whole set), and audited as every sending command.
  std::vector<tunecase::ApproachConfig> senders;
  for (const auto& approach : config.approaches)
    if (approach.is_llm()) senders.push_back(approach);
  tunecase::enforce_local_only(config.privacy, senders);
  CommandAudit audit("monitor --canary", config, out / "audit.json");
  auto http = tunecase::make_http_client(8);
  mon::CanaryOptions options;
  options.now_ms = now_ms_or(a.now_ms);
  options.force = a.canary_force;
  options.flip_alert = a.canary_flip_alert;
  options.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  options.assume_yes = a.yes;
  if (a.max_cost >= 0) options.max_cost_usd = a.max_cost;
  options.log = &std::cerr;
  auto results = mon::run_canary(config, store, canary, train, labels, *http, options);
  std::vector<mon::Finding> findings;
  for (const auto& r : results)
    if (r.finding.state != mon::RuleState::unknown) findings.push_back(r.finding);
  auto alerts = mon::apply_findings(store, findings, options.now_ms, outputs);
  write_text_file(out / "canary.json", mon::canary_json(results).dump(2) + "\n");
  std::string md = mon::canary_markdown(results);
  write_text_file(out / "canary.md", md);
  std::cout << md;
  for (const auto& p : alerts.problems) fmt::print(stderr, "warning: {}\n", p);
  if (results.empty()) fmt::print("note: the config has no LLM approach: nothing to send\n");
  fmt::print("wrote {}/canary.json, canary.md and audit.json; {}\n", out.string(),
             alerts_line(outputs.jsonl));
  // An approach none of whose requests was answered was not checked at all: a cron line must
  // notice (it had exited 0, as for a provider that held steady).
  bool unchecked = false;
  for (const auto& r : results) {
    if (r.ran || r.items == 0 || r.errors != r.items) continue;
    unchecked = true;
    fmt::print(stderr, "error: canary for '{}' not checked: {}\n", r.approach, r.note);
  }
  return alerts.fired.empty() && !unchecked ? 0 : 1;
}

int run(const MonitorArgs& a) {
  tunecase::ProjectConfig config = tunecase::load_config(a.config);
  apply_local_only(config, a.local_only);
  const tunecase::MonitorSettings& settings = config.monitor;
  if (a.simulate) {
    simulate(settings);
    return 0;
  }
  auto store = open_existing_store(a.store);
  tunecase::monitor::MonitorRequest request;
  // A store a replay wrote is judged as of the replay's last time, as `tunecase pilot` reports
  // it: the wall clock had judged the weeks after it (no traffic, no texts) and fired alerts.
  request.now_ms = store_clock_ms(*store, a.now_ms, "monitor judges it");
  for (const auto& approach : config.approaches) request.approaches.push_back(approach.name);
  request.drift = !a.no_drift;
  request.policy = policy_in_words(config.retrain);
  request.retrain = config.retrain;
  for (const auto& approach : config.approaches)
    if (approach.is_local()) request.local_approaches.push_back(approach.name);
  if (request.drift) request.training_texts = training_texts(config);

  std::filesystem::path out(a.out);
  tunecase::create_output_dir(out);
  std::unique_ptr<tunecase::monitor::WebhookPoster> webhook;
  if (!settings.webhook.empty() && !a.no_webhook)
    webhook = tunecase::monitor::make_http_webhook(settings.webhook, settings.webhook_attempts);
  tunecase::monitor::AlertOutputs outputs;
  outputs.jsonl = a.alerts.empty() ? out / "alerts.jsonl" : std::filesystem::path(a.alerts);
  // Refused on every run, not first on the day an alert fires.
  tunecase::refuse_folder_as_file(outputs.jsonl, "the alerts file (a JSONL file)");
  outputs.webhook = webhook.get();

  if (!a.canary.empty()) return run_canary(a, config, *store, outputs, out);
  auto run = tunecase::monitor::run_monitor(*store, settings, request, outputs);
  write_text_file(out / "monitor.json", run.document.dump(2) + "\n");
  write_text_file(out / "monitor.md", tunecase::monitor::monitor_markdown(run.document));
  write_text_file(out / "monitor.html", tunecase::monitor::monitor_html(run.document));
  std::cout << tunecase::monitor::monitor_text(run.document);
  for (const auto& p : run.alerts.problems) fmt::print(stderr, "warning: {}\n", p);
  fmt::print("wrote {}/monitor.json, monitor.md, monitor.html; {}\n", out.string(),
             alerts_line(outputs.jsonl));
  return run.alerts.fired.empty() ? 0 : 1;
}

}  // namespace

void add_monitor_command(CLI::App& app) {
  auto args = std::make_shared<MonitorArgs>();
  auto* cmd = app.add_subcommand(
      "monitor",
      "Daily accuracy, latency, errors and cost from the store; alerts and drift (exit 1 when an "
      "alert fired)");
  cmd->add_option("--store", args->store, "SQLite file or postgresql:// URL")
      ->capture_default_str();
  cmd->add_option("--config", args->config, "project config with [monitor]")->required();
  cmd->add_option("--out", args->out, "folder for monitor.json, monitor.md, monitor.html")
      ->capture_default_str();
  cmd->add_option("--alerts", args->alerts,
                  "JSONL file alerts are appended to (default OUT/alerts.jsonl)");
  cmd->add_option(
         "--now-ms", args->now_ms,
         "the clock, epoch milliseconds (default: now); for replays and tests (the store is read "
         "as it is now: labels received after this clock count too)")
      ->check(epoch_ms_validator());
  cmd->add_flag("--no-drift", args->no_drift, "skip the drift detectors");
  cmd->add_flag("--no-webhook", args->no_webhook, "do not POST to [monitor] webhook this time");
  cmd->add_option("--canary", args->canary,
                  "a small labelled file: send it to every LLM approach (at most once a day) and "
                  "compare with its first run (provider drift); runs instead of the daily report");
  cmd->add_flag("--canary-force", args->canary_force, "run the canary even if it ran today");
  cmd->add_flag("--yes", args->yes,
                "--canary: send without asking (it asks above $1 or at an unknown price)");
  cmd->add_option("--max-cost", args->max_cost,
                  "--canary: cap on its spend (USD), consent up to it; a canary estimated above "
                  "it is not sent")
      ->check(non_negative_number());
  add_local_only_option(cmd, args->local_only);
  cmd->add_option("--canary-flip-alert", args->canary_flip_alert,
                  "share of canary answers that flipped which alerts on its own")
      ->capture_default_str()
      ->check(finite_between(0, 1, "a share "));
  cmd->add_flag("--simulate-rule", args->simulate,
                "print the accuracy rule's simulated false-alarm rate and detection delay");
  cmd->callback([args] {
    int code = run(*args);
    if (code != 0) {
      std::fflush(stdout);
      std::exit(code);
    }
  });
}
