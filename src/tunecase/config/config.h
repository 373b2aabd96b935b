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
  int seeds = 3;
  std::optional<double> target_accuracy;
  std::optional<std::vector<std::string>> approaches;
};

// [pilot] (docs/serve.md): what `tunecase serve` runs. Without a challenger it serves the champion
// alone (production mode); `serve --plan decision.json` takes the verdict rule from the memo.
struct PilotSettings {
  bool present = false;
  std::string where;
  std::string champion;                    // the baseline arm ("" = the first approach)
  std::string challenger;                  // "" = production mode, no pilot
  std::string mode = "split";              // split | shadow | fallback
  double share = 0.05;                     // the challenger's share of traffic (split, fallback)
  std::string salt;                        // "" = drawn once and kept in the store
  std::optional<double> abstain_below;     // answer "needs a human" below this confidence
  int challenger_timeout_ms = 2000;        // fallback: the champion answers after this
  int days = 14;                           // planned length without --plan
  std::optional<int64_t> queries_per_arm;  // planned labelled queries per arm without --plan
  double min_gain = 0.0;  // without --plan: a clear win needs the gain's low end above this
  double alpha = 0.05;    // error rate of the always-valid verdict
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
