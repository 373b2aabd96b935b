#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/economics/figure.h"

namespace tunecase {
struct ProjectConfig;
}

namespace tunecase::econ {

// The [business] table, validated. Money is USD, volume is queries per month.
struct BusinessInputs {
  Figure queries_per_month;
  double days_per_month = 30;
  // Cost of one counted error: a wrong answer (accuracy mode) or a harmful incident (when
  // approaches give harmful_error_rate). Both modes reduce to error_rate x cost_per_error.
  Figure cost_per_error;
  bool harmful_mode = false;
  // Set when cost_per_error was derived from the two typed inputs (harmful_error_rate x
  // cost_per_incident_usd, in accuracy mode): shown beside it so the figure traces back.
  std::optional<double> harmful_error_rate, cost_per_incident_usd;
  // [business] cost_per_error_by_label (label -> USD; the others cost cost_per_error), with
  // where it was written; empty when the config prices every error alike.
  std::map<std::string, double> cost_by_label;
  std::string cost_by_label_where;
  // cost_per_error as the config gave it: a sensitivity that moves cost_per_error moves every
  // label's cost by the same factor (error_cost).
  double cost_per_error_as_given = 0;
  Figure engineer_usd_per_week;
  Figure horizon_months;
  Figure monitoring_usd_per_month;
  Figure utilisation;  // share of self-hosted capacity actually used (per-query hosting)
  Figure pilot_share;  // share of traffic the pilot gets
  std::string baseline;
  // Checklist answers the data cannot give; empty when the config is silent.
  std::optional<bool> infra_expertise;
  std::optional<bool> data_sensitive;
  // [privacy]'s account of question 6 (which approaches keep data in, which send it out, and
  // the policy), "" when the config has no [privacy] table.
  std::string data_evidence;
  bool data_sensitive_from_privacy = false;  // answered by [privacy], not [business]
  Figure task_stable_months = unknown(Source::assumed);
  Figure labelled_examples = unknown(Source::assumed);
};

// One approach: its error rate (with interval when measured) and its cost lines.
struct ApproachInputs {
  std::string name;
  std::string kind;
  bool trained = false;      // fine-tuned / self-hosted (true) or prompting an API (false)
  bool self_hosted = false;  // a local kind or one with a hosting bill (else a provider serves it)
  Figure accuracy = unknown(Source::assumed);
  // Counted errors per query: 1 - accuracy, or the harmful-error rate. low/high are the rates
  // at the ends of the accuracy interval (low = best case).
  Figure error_rate;
  Figure error_rate_low;
  Figure error_rate_high;
  Figure usd_per_query;          // inference paid per query (API price, per-query hosting)
  Figure hosting_usd_per_month;  // fixed hosting (instances kept running)
  // The fixed bill was raised to the instances the volume needs at the measured throughput: the
  // volume's bill, not one whatever the volume.
  bool hosting_sized_to_volume = false;
  Figure training_usd;
  Figure engineering_weeks;
  Figure retrain_every_months;  // 0 = no retraining planned
  Figure retrain_usd;
  Figure maintenance_weeks_per_month;
  Figure monitoring_usd_per_month;
  Figure time_to_ship_weeks;
  Figure throughput_per_s = unknown(Source::measured);
  Figure latency_p50_ms = unknown(Source::measured);
  std::string cost_basis;
  std::vector<std::string> defaults_used;  // cost keys the config left out, taken as 0
  // A measurement that did not score every test item ("334/1,076 scored, stopped by budget");
  // empty when complete. decide refuses it unless told to accept it, then names it as a risk.
  std::string partial;
  // Requests that failed after all retries and were counted as wrong ("610 of 1,076 test
  // requests failed ..."), "" when none did; failed_share is their share of the scored items.
  std::string failures;
  double failed_share = 0;
  // Test items its accuracy was measured on (eval.json's scored, else n); 0 = not measured.
  int64_t test_items = 0;
  // Its measured accuracy interval (eval.json's accuracy_ci95), when measured.
  std::optional<std::pair<double, double>> accuracy_ci95;
  // Labels of the test split it never answered right (recall 0 in eval.json's per_class), each
  // with its test items, most items first.
  std::vector<std::pair<std::string, int64_t>> never_right;
  // Its test items and wrong answers by true label (eval.json's per_class: support, and support
  // x (1 - recall)), which per-label error costs weigh.
  std::map<std::string, int64_t> support_by_label, errors_by_label;
  // With [business] cost_per_error_by_label: the mean cost of one of its errors, its test-split
  // errors priced by their true labels (apply_label_costs); unset with one flat cost.
  std::optional<double> mean_error_cost_usd;
  // It made no test error: its mean is the test split's items' mean cost, an assumption (said).
  bool mean_error_cost_assumed_mix = false;
  // A fine-tuned model with its `tunecase finetune` record (finetune_record): what it was
  // trained on, for the memo's subset-first paragraph.
  struct FinetuneRun {
    std::string base_model;
    double fraction = 1;         // share of the train split it was fine-tuned on
    int64_t train_examples = 0;  // examples in its training file
    // Rows of the train split (0: not recorded); rows redaction made the same line are sent
    // once, so the file may hold fewer than `fraction` of them.
    int64_t train_split = 0;
  };
  std::optional<FinetuneRun> finetune;
};

struct Scenario {
  bool from_eval = false;  // false: scenario mode, every figure assumed
  bool simulated = false;  // some measurement came from the offline LLM stand-in
  BusinessInputs business;
  std::vector<ApproachInputs> approaches;
  nlohmann::json pairwise = nlohmann::json::array();  // eval.json's significance tests
  nlohmann::json curve;  // curve.json of `tunecase curve`, null when not given
  // eval.json's dataset.quality (the data-quality report), null when eval ran without it.
  nlohmann::json data_quality;
  // eval.json's dataset.thin_train_labels ("press (2)": labels with fewer than 10 train rows),
  // written whether or not the data-quality report ran.
  std::vector<std::string> thin_train_labels;
  // eval.json's dataset.label_variants when kept apart (labels_normalized false): per group, its
  // spellings with their rows, most rows first ("\"billing\" (49 rows), \"BILLING\" (26 rows)").
  std::vector<std::string> label_variant_groups;
  // eval.json's dataset.test_labels_unseen_in_train and the test rows that carry them.
  std::vector<std::string> test_labels_unseen;
  int64_t test_rows_unseen = 0, test_rows = 0;
  // eval.json's dataset.majority_baseline: always answering the test split's most frequent
  // label, the floor any approach should clear.
  struct MajorityFloor {
    std::string label;
    double accuracy = 0;
  };
  std::optional<MajorityFloor> majority;
  // Typed figures of the config that a measurement overrides (an approach's accuracy or
  // harmful_error_rate beside its eval.json entry), each as the sentence the memo warns with.
  std::vector<std::string> ignored_inputs;
  // Settings of the config that differ from those eval measured with (--accept-changed).
  std::vector<std::string> changed_since_eval;
  // Parts of the config eval.json records no settings for, so they could not be compared.
  std::vector<std::string> not_comparable_with_eval;

  size_t baseline_index() const;
  // The approach of that name; nullptr when none has it.
  const ApproachInputs* approach_named(const std::string& name) const;
  // Every assumed, known, non-zero input a user could be wrong about, for the sensitivity
  // analysis. Pointers are into *this.
  std::vector<std::pair<std::string, Figure*>> assumed_inputs();
};

// What one error of `a` costs: cost_per_error, or with per-label costs its mean_error_cost_usd
// (scaled as cost_per_error moved from what the config gave), with cost_per_error's provenance.
Figure error_cost(const ApproachInputs& a, const BusinessInputs& b);

// More than this share of an approach's test requests failing after all retries (and counted as
// wrong) makes its accuracy a measurement of the endpoint: decide refuses it like a partial one.
inline constexpr double kMostFailedShare = 0.02;

// Builds the scenario from the config (and eval.json when given). Throws UserError for missing
// or negative inputs, for approaches the config names but eval.json lacks, for a measurement
// that scored no item, and for partial measurements (unscored test items) or ones with more
// than kMostFailedShare failed requests unless `accept_partial` (--accept-partial).
Scenario read_scenario(const ProjectConfig& config, const nlohmann::json* eval,
                       bool accept_partial = false);

}  // namespace tunecase::econ
