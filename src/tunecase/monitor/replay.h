#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/data/example.h"
#include "tunecase/privacy/redactor.h"

// `tunecase replay`: a time-stamped labelled file run day by day through a local approach under
// several retraining policies at once, with each day's labels arriving `feedback_delay_days`
// later, the monitor's accuracy rule watching the labelled days, and the money of each policy:
// its routine retrains against the errors it let through. In-process (no gateway, no store), so
// a year of tickets takes seconds plus the retrains' training time.
//
// Simplifications, stated in the report: every label of a day arrives together; a retrain trains
// on every label that has arrived (the original labels included) and is promoted without the
// champion/challenger gate, which is not built yet.
namespace tunecase::monitor {

struct ReplayItem {
  int64_t day = 0;  // days since 1970-01-01, UTC
  std::string text, label;
};

// Items from labelled examples with a time parse_data_time reads (ISO 8601, with or without an
// offset, or Unix seconds), each on its UTC day. UserError naming the row when a time is missing
// or unreadable.
std::vector<ReplayItem> replay_items(const Examples& examples);

struct ReplaySettings {
  ApproachConfig approach;  // a local approach
  int initial_days = 60;    // the first model trains on the file's first days
  int feedback_delay_days = 3;
  MonitorSettings monitor;                   // the accuracy rule
  RetrainSettings retrain;                   // every_weeks, within_days, usd_per_retrain
  std::optional<double> cost_per_error_usd;  // [business]; none: the errors' cost is unknown
  // [business] cost_per_error_by_label: an error on an item of such a true label costs this.
  std::map<std::string, double> cost_per_error_by_label;
  std::vector<std::string> policies = {"none", "scheduled", "triggered"};
  bool drift = true;  // run the drift detectors weekly in the first policy's replay
  // [privacy]'s rules: the drift detectors read the texts redacted by them, as the gateway keeps
  // them for the monitor (raw, their emerging terms had quoted card and phone digits in the
  // report). The model itself reads the texts as written, as a local approach does in serve.
  RedactionRules drift_redaction;
};

struct ReplayDay {
  int64_t day = 0;
  int64_t n = 0, correct = 0;
  bool retrained = false;  // a new model served from this day on
  bool alert = false;      // the accuracy alert opened at the end of this day
};

// A drift detector's first firing in a replay: the monitor's detectors run once a week (on the
// last `current_days` against the `reference_days` before them), before any label is used.
struct DriftFirst {
  std::string kind;  // kDriftPredictionMix, kDriftDomain, kDriftOov, kDriftEmerging
  int64_t day = 0;
  std::string summary;             // what the detector said that day
  std::vector<std::string> terms;  // emerging terms: the top ones that day
};

struct PolicyRun {
  std::string policy;
  std::vector<ReplayDay> days;
  // Drift detectors, run in the first policy's replay only (the input detectors do not depend on
  // the policy; its prediction mix is that of the model it served): first firing per detector.
  bool drift_checked = false;
  // The first day a check ran (it needs reference_days + current_days of replayed days); none
  // when the replay was shorter. Days before it were not checked, which the report says.
  std::optional<int64_t> drift_first_check;
  std::vector<DriftFirst> drift;
  // Detectors that judged at least one check, and one check's reason for not judging (too few
  // texts or labels): a detector that never judged did not "not fire".
  std::set<std::string> drift_judged, drift_run;
  std::string drift_not_judged;
  int retrains = 0;  // trainings run, each priced at usd_per_retrain, promoted or not
  // Of them, those whose challenger was promoted; nullopt where every retrain replaces the model
  // (the offline replay).
  std::optional<int> promoted;
  int alerts = 0;
  std::optional<int64_t> first_alert_day;
  // Days the accuracy rule judged (at least [monitor] min_labelled labels), and the most labels
  // any judged-or-not day had: with none judged, "0 alerts" says nothing.
  int judged_days = 0;
  int64_t most_labelled = 0;
  int64_t items = 0, errors = 0;
  double error_usd = 0, retrain_usd = 0;
  std::size_t initial_rows = 0;  // the rows of the initial days the first model trained on
};

// Refuses (UserError, saying what to fix) a file a replay cannot run on: no rows, a gap of more
// than a year between two rows, or no day after the initial ones. replay() also refuses initial
// days holding fewer than 20 rows or one label (a mistyped year on the earliest rows), since its
// first model trains on them.
void check_replay_span(const std::vector<ReplayItem>& items, int initial_days);

// UserError when [business] cost_per_error_by_label names a label no replayed row carries (a
// misspelt label had priced its errors at the flat cost without a word), with the labels.
void check_label_costs(const std::map<std::string, double>& costs,
                       const std::vector<ReplayItem>& items);

std::vector<PolicyRun> replay(const std::vector<ReplayItem>& items, const ReplaySettings& settings);

// The replayed days' stretches of a month or more without a row, as a warning for the report
// (replay_json's "warning"); "" when there is none.
std::string replay_gap_warning(const std::vector<ReplayItem>& items, int initial_days);

nlohmann::json replay_json(const std::vector<PolicyRun>& runs, const ReplaySettings& settings);
std::string replay_markdown(const nlohmann::json& doc);
std::string replay_html(const nlohmann::json& doc);

}  // namespace tunecase::monitor
