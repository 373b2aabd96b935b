#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/settings.h"
#include "tunecase/config/table_reader.h"
#include "tunecase/data/data_config.h"
#include "tunecase/privacy/redactor.h"

namespace tunecase {

// One [[approach]] table, typed. Only the struct of its kind's family is filled (linear,
// fasttext, retrieval or llm); `costs` holds the business-case keys every kind may carry.
struct ApproachConfig {
  std::string name;
  std::string kind;                 // a name of approach_kinds() (approach_kinds.h)
  std::string where;                // "file:line" of the table, for messages that span several keys
  std::filesystem::path model_dir;  // a trained model folder to use instead of training
  ApproachCostSettings costs;
  LinearSettings linear;
  FasttextSettings fasttext;
  RetrievalSettings retrieval;
  LlmSettings llm;
  // The table as written (paths resolved), kept to write it back out: model folders record it
  // and read it again through the same reader; winner.toml prints it. Never read for settings.
  nlohmann::json source = nlohmann::json::object();

  bool is_local() const;
  bool is_llm() const;
};

// [business] (docs/decide.md): assumed figures of the business case, validated one by one here;
// the rules between keys (exactly one volume, cost per error or per incident) are economics'.
struct BusinessSettings {
  bool present = false;
  std::string where;  // "file:line" of the table
  std::optional<double> queries_per_day, queries_per_month, queries_per_year;
  double days_per_month = 30;
  std::optional<double> cost_per_error_usd, cost_per_incident_usd, harmful_error_rate;
  // What a wrong answer costs when the item's true label is this one (label -> USD); the labels
  // not named cost cost_per_error_usd. Empty when the config gives none.
  std::map<std::string, double> cost_per_error_by_label;
  std::string cost_per_error_by_label_where;  // "file:line" of the table ("" when absent)
  std::optional<double> engineer_usd_per_week;
  double horizon_months = 12;
  double monitoring_usd_per_month = 0;
  double utilisation = 0.5;
  double pilot_traffic_share = 0.05;
  std::string baseline;  // "" = the first approach
  std::optional<bool> infra_expertise, data_sensitive;
  std::optional<double> task_stable_months, labelled_examples;

  // The volume given (per day x days_per_month, per month, or per year / 12); 0 when none.
  double monthly_queries() const;
};

// [business] cost_per_error_by_label, read the same way by decide and replay:
// what an error on an item of `label` costs (`flat` for a label the table does not name) ...
double error_cost_of_label(const std::map<std::string, double>& by_label, double flat,
                           const std::string& label);
// ... and, for the first label the table names that `labels` lacks, the refusal without its
// "where" ("names \"urgnet\", which no test item of eval.json carries; did you mean ..."), where
// `carried_by` says what lacks it ("no test item of eval.json") and `listed` what the labels are
// ("the test split's labels"). nullopt when every named label is among them.
std::optional<std::string> unknown_cost_label(const std::map<std::string, double>& by_label,
                                              const std::vector<std::string>& labels,
                                              std::string_view carried_by, std::string_view listed);

// One entry of [optimize] models: an [[approach]] name, or an inline table read as an approach.
struct OptimizeModel {
  std::string name;                       // the named approach ("" for an inline table)
  std::optional<ApproachConfig> inline_;  // the inline table, typed
};

// [optimize] (docs/optimize.md): the prompt-search grid and its rules.
struct OptimizeTableSettings {
  bool present = false;
  std::string where;
  std::vector<OptimizeModel> models;
  std::optional<std::vector<std::string>> strategies, selection;
  std::optional<std::vector<int64_t>> shots;
  std::optional<std::vector<double>> temperatures;
  std::optional<std::vector<bool>> structured_output, label_descriptions;
  std::optional<double> max_usd_per_1k, max_p95_ms, budget_usd;
  std::optional<int64_t> max_calls;
  int64_t seed = 7;
  int64_t start_sample = 50;
};

// [curve] (docs/optimize.md): learning-curve sizes and approaches.
struct CurveTableSettings {
  bool present = false;
  std::string where;
  std::vector<int64_t> sizes{50, 100, 250, 500, 1000, 2500};
  bool sizes_given = false;  // sizes set in the table (else the defaults above)
  int seeds = 3;
  std::optional<double> target_accuracy;
  std::optional<std::vector<std::string>> approaches;
  // Fine-tuned points (docs/finetune.md): these openai approaches with a finetune table are
  // fine-tuned once per share of train (one provider job each, paid), then all of train.
  std::vector<std::string> finetune;
  std::vector<double> finetune_fractions{0.1, 0.3};
};

// [pilot] (docs/serve.md): what `tunecase serve` runs. Without a challenger it serves the champion
// alone (production mode); `serve --plan decision.json` takes the verdict rule from the memo.
struct PilotSettings {
  bool present = false;
  std::string where;
  std::string champion;                      // the baseline arm ("" = the first approach)
  std::string challenger;                    // "" = production mode, no pilot
  std::string mode = "split";                // split | shadow | fallback
  double share = 0.05;                       // the challenger's share of traffic (split, fallback)
  bool share_set = false, days_set = false;  // written in the table (not the defaults)
  std::string salt;                          // "" = drawn once and kept in the store
  std::optional<double> abstain_below;       // answer "needs a human" below this confidence
  int challenger_timeout_ms = 2000;          // fallback: the champion answers after this
  int days = 14;                             // planned length without --plan
  std::optional<int64_t> queries_per_arm;    // planned labelled queries per arm without --plan
  double min_gain = 0.0;  // without --plan: a clear win needs the gain's low end above this
  double alpha = 0.05;    // error rate of the always-valid verdict
};

// [monitor] (docs/operate.md): what `tunecase monitor` watches, when it alerts and where the
// alerts go. Every threshold here is an assumption of the team, written down once.
struct MonitorSettings {
  bool present = false;
  std::string where;
  double accuracy_floor = 0.80;        // the seed's floor
  int64_t min_labelled = 50;           // labelled items before a day's accuracy counts
  std::string accuracy_rule = "both";  // interval | consecutive | both
  int consecutive_days = 3;            // counted days in a row below the floor
  int64_t min_requests = 20;           // requests before a day's error rate and latency count
  double max_error_rate = 0.05;        // errors (time-outs included) per request
  std::optional<double> max_latency_p95_ms;
  std::optional<double> max_usd_per_day;
  double feedback_silence_hours = 48;  // no label received for this long while traffic flows
  double traffic_silence_hours =
      72;                    // no request for this long after traffic had flowed (a weekend: 60)
  int days = 28;             // days in the report, ending with the last complete day
  std::string webhook;       // "" = none; alerts are POSTed here as JSON
  int webhook_attempts = 4;  // tries per alert, with exponential back-off
  // Drift, before labels: a reference window followed by the current one.
  int reference_days = 28;
  int current_days = 7;
  int64_t min_drift_items = 200;  // items in each window before a drift figure counts
  double psi_warn = 0.1;
  double psi_alert = 0.25;
  double domain_auc_alert = 0.60;  // reference-vs-current classifier AUC that raises an alert
  double oov_rise_alert = 0.05;    // rise of the out-of-vocabulary token share that alerts
  int emerging_terms = 10;         // terms listed by the emerging-topics detector
  std::string owner;               // who watches the alerts ("" = unassigned)
  bool keep_texts = false;         // the gateway stores request texts (input drift needs them)
};

// [retrain] (docs/operate.md): the retraining policy the operation plan states.
struct RetrainSettings {
  bool present = false;
  std::string where;
  std::string policy = "none";            // none | scheduled | triggered | both
  int every_weeks = 4;                    // scheduled: a retrain this often
  int within_days = 7;                    // triggered: a retrain this soon after an accuracy alert
  double min_gain = 0.0;                  // promotion: the challenger's accuracy gain needed
  std::optional<double> usd_per_retrain;  // assumed cost of one routine retrain
  double emergency_usd = 80000;  // assumed cost of an unplanned retrain (the seed's figure)
  int holdout_days = 7;          // the most recent labelled days, never trained on
  std::string owner;             // who decides on a retrain ("" = unassigned)
};

// [privacy] (docs/privacy.md): what is redacted before a text leaves for an LLM endpoint, and
// whether approaches whose endpoint is not on this machine (or an allowed host) are refused.
struct PrivacySettings {
  bool present = false;
  std::string where;
  std::vector<std::string> redact;  // as written: built-in kinds and "custom"
  RedactionRules rules;             // compiled: the built-in kinds and the custom patterns
  bool local_only = false;
  std::vector<std::string> allowed_hosts;  // hosts counted as local beside loopback
};

struct ProjectConfig {
  std::filesystem::path file;  // the config file ("" when built from CLI flags)
  DataConfig data;
  std::vector<ApproachConfig> approaches;
  std::map<std::string, std::string> label_descriptions;  // [labels] label = "one line"
  std::string task;                                       // [task] description (used by prompts)
  BusinessSettings business;
  OptimizeTableSettings optimize;
  CurveTableSettings curve;
  PilotSettings pilot;
  MonitorSettings monitor;
  RetrainSettings retrain;
  PrivacySettings privacy;
  // Every key read, with its value and whether it was a default (`tunecase check`).
  std::vector<SettingRecord> settings;

  double queries_per_day() const;  // [business] volume per day, 0 when not given
  const ApproachConfig* find_approach(const std::string& name) const;
};

// Reads a TOML project config. Relative paths are resolved against the config's folder.
// Throws UserError naming file:line, the table and the key for syntax errors, unknown keys (with
// the nearest known key), wrong types and values out of range.
ProjectConfig load_config(const std::filesystem::path& file);

// Parses config text (for tests); `origin` is used in error messages and as the base folder.
ProjectConfig parse_config(std::string_view text, const std::filesystem::path& origin);

// The approaches `tunecase eval` runs when no config names any: linear, fasttext, retrieval.
std::vector<ApproachConfig> default_local_approaches();

// An approach with every setting at its default (for CLI flags and tests).
ApproachConfig default_approach(const std::string& name, const std::string& kind);

// Every table and key tunecase reads, as Markdown: the configuration reference (docs/config.md
// is this text, checked by a test so the two cannot drift apart).
std::string configuration_reference();

// The settings in force, defaults marked, for `tunecase check`.
std::string describe_settings(const ProjectConfig& config);

}  // namespace tunecase
