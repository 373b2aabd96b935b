#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/data/example.h"
#include "tunecase/stats/mcnemar.h"
#include "tunecase/store/store.h"

// `tunecase retrain` (docs/operate.md, "Retraining with champion/challenger"): a challenger for
// each local approach, trained on the original labels plus the feedback labels in the store with
// the most recent labelled days held out, compared with the champion on that holdout, and
// promoted in the model registry only when the promotion rule says so. Every gateway on the store
// then loads it without a restart (serve's ModelWatch); `tunecase models rollback` undoes it.
namespace tunecase::monitor {

// When a challenger replaces the champion. All of:
//  - the holdout has at least `min_holdout` labelled items;
//  - every label of the holdout has training examples (a label first seen inside the holdout
//    cannot be judged fairly: wait until some of its labels predate the holdout);
//  - the challenger's accuracy gain on the holdout is at least `min_gain` ([retrain] min_gain);
//  - on no large label (at least `large_label` holdout items) is the challenger significantly
//    worse: exact McNemar on that label's items, p < alpha, with a lower recall.
struct PromotionRule {
  double min_gain = 0;
  int64_t min_holdout = 100;
  int64_t large_label = 30;
  double alpha = 0.05;
};

struct LabelCheck {
  std::string label;
  int64_t n = 0;  // holdout items with this gold label
  int64_t champion_right = 0, challenger_right = 0;
  double p_value = 1;  // exact McNemar on these items
  bool large = false;
  bool worse = false;  // the challenger is significantly worse on it
};

struct Comparison {
  int64_t holdout = 0;
  int64_t champion_right = 0, challenger_right = 0;
  McNemarResult mcnemar;  // a = the challenger, b = the champion
  std::vector<LabelCheck> labels;
  std::vector<std::string> new_labels;  // holdout labels the champion cannot answer
  std::vector<std::string> uncovered;   // holdout labels without a training example
  bool promote = false;
  std::vector<std::string> reasons;  // why it is promoted, or every reason it is not
};

// Applies the rule to the two models' answers on the holdout (parallel to `gold`).
Comparison compare_on_holdout(const std::vector<std::string>& gold,
                              const std::vector<std::string>& champion,
                              const std::vector<std::string>& challenger,
                              const std::vector<std::string>& champion_labels,
                              const std::set<std::string>& trained_labels,
                              const PromotionRule& rule);

struct RetrainRequest {
  int64_t now_ms = 0;
  std::filesystem::path eval_dir;  // the champion's model when the registry has none
  std::filesystem::path out_dir;   // models under OUT/models/<approach>/<version>/, the reports
  Examples original;               // the original labelled training data ([data] train split)
  std::vector<std::string> approaches;  // local approaches to retrain (empty = every one)
  PromotionRule rule;
  int holdout_days = 7;  // [retrain] holdout_days
  bool dry_run = false;  // train and compare; register and promote nothing
  std::string by = "tunecase retrain";
};

struct ApproachRetrain {
  std::string approach;
  std::string champion_version, challenger_version;
  std::filesystem::path champion_path, challenger_path;
  int64_t train_original = 0, train_feedback = 0;
  std::string data_fingerprint;
  Comparison comparison;
  bool promoted = false;
};

struct RetrainRun {
  int64_t now_ms = 0;
  int64_t holdout_from_ms = 0, holdout_to_ms = 0;  // [from, to): the held-out window
  int64_t feedback_items = 0;                      // labelled items with kept texts in the store
  bool dry_run = false;
  std::vector<ApproachRetrain> approaches;
  std::vector<std::string> notes;  // approaches not retrained and why
};

// UserError when the store has no labelled item with a kept text (the gateway keeps texts only
// with [monitor] keep_texts = true), or a named approach is unknown or not local.
RetrainRun run_retrain(const ProjectConfig& config, Store& store, const RetrainRequest& request);

nlohmann::json retrain_json(const RetrainRun& run);
std::string retrain_markdown(const RetrainRun& run);

// `retrain --if-due`: whether the [retrain] policy calls for a retrain of `approach` now, and
// why (scheduled: the champion is older than every_weeks; triggered: an accuracy alert is open).
struct Due {
  bool due = false;
  std::string why;
};
Due retrain_due(const RetrainSettings& policy, Store& store, const std::string& approach,
                int64_t now_ms);

}  // namespace tunecase::monitor
