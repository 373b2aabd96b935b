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
#include "tunecase/runner/llm_runner.h"
#include "tunecase/stats/mcnemar.h"
#include "tunecase/store/store.h"

// `tunecase retrain` (docs/operate.md, "Retraining with champion/challenger"): a challenger for
// each local approach, trained on the original labels plus the feedback labels in the store with
// the most recent labelled days held out, compared with the champion on that holdout, and
// promoted in the model registry only when the promotion rule says so. An LLM approach whose
// prompts show examples gets a challenger example pool from the same labels, judged the same way
// by asking the model with each pool. Every gateway on the store then loads the new champion
// without a restart (serve's ModelWatch); `tunecase models rollback` undoes it.
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

// Why a holdout looks like a broken label pipeline: at least 95% of its items (of 20 or more)
// carry one label that is under half of the training labels. A model trained on such feedback
// wins by answering that label; nullopt when the holdout looks like labels.
std::optional<std::string> collapsed_labels(const std::vector<std::string>& held,
                                            const Examples& train);

// Applies the rule to the two models' answers on the holdout (parallel to `gold`).
Comparison compare_on_holdout(const std::vector<std::string>& gold,
                              const std::vector<std::string>& champion,
                              const std::vector<std::string>& challenger,
                              const std::vector<std::string>& champion_labels,
                              const std::set<std::string>& trained_labels,
                              const PromotionRule& rule);

struct RetrainRequest {
  int64_t now_ms = 0;
  std::filesystem::path eval_dir;   // the champion's model when the registry has none
  std::filesystem::path out_dir;    // models under OUT/models/<approach>/<version>/, the reports
  Examples original;                // the original labelled training data ([data] train split)
  std::vector<std::string> labels;  // the data's label set (an LLM approach's, before any pool)
  // Approaches to retrain; empty = every local one, and with `refresh_examples` every LLM
  // approach whose prompts show examples (a named LLM approach is always refreshed).
  std::vector<std::string> approaches;
  bool refresh_examples = false;
  // LLM approaches whose prompts show examples get a refreshed example pool, and both pools are
  // judged on the holdout through the runner (the response cache, the spend confirmation and
  // --max-cost of `llm`). Without a client they are left out with a note.
  HttpClient* http = nullptr;
  LlmRunOptions llm;
  std::ostream* log = nullptr;  // the runner's estimate and progress ("" = none)
  PromotionRule rule;
  int holdout_days = 7;  // [retrain] holdout_days
  bool dry_run = false;  // train and compare; register and promote nothing
  std::string by = "tunecase retrain";
};

struct ApproachRetrain {
  std::string approach;
  bool example_pool = false;  // an LLM approach's example pool, not a trained model
  double spent_usd = 0;       // an example pool's comparison on the holdout (measured)
  bool simulated = false;     // ... answered by `tunecase sim-llm`
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
  // Labelled items of the holdout window whose text is in the original training data: left out
  // of the holdout (both models may have learned them).
  int64_t holdout_in_original = 0;
  // Held-out items whose text is among the feedback before the holdout, which the challenger
  // trains on and the champion never saw (a repeated ticket): left out too.
  int64_t holdout_in_feedback = 0;
  bool dry_run = false;
  std::vector<ApproachRetrain> approaches;
  std::vector<std::string> notes;  // approaches not retrained and why
};

// Whether retrain has something to refresh for `approach`: a local model, or an LLM approach
// whose prompts show few-shot or retrieved examples (a zero-shot prompt has no example pool).
bool retrainable(const ApproachConfig& approach, const ProjectConfig& config);

// UserError when the store has no labelled item with a kept text (the gateway keeps texts only
// with [monitor] keep_texts = true), a named approach is unknown, or a named LLM approach shows
// no examples or has no HTTP client to be judged with.
RetrainRun run_retrain(const ProjectConfig& config, Store& store, const RetrainRequest& request);

nlohmann::json retrain_json(const RetrainRun& run);
std::string retrain_markdown(const RetrainRun& run);

// `retrain --if-due`: whether the [retrain] policy calls for a retrain of `approach` now, and
// why (scheduled: the newest registered version is every_weeks old; triggered: an accuracy alert
// is open and no version was registered since it opened, so a daily cron retrains once per
// alert, not every day until accuracy recovers).
struct Due {
  bool due = false;
  std::string why;
};
Due retrain_due(const RetrainSettings& policy, Store& store, const std::string& approach,
                int64_t now_ms);

}  // namespace tunecase::monitor
