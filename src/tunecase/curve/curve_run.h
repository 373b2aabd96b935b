#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/curve/curve_fit.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/runner/cache_location.h"

namespace tunecase {

struct CurveOptions {
  std::filesystem::path out_dir = "tunecase-curve";
  int concurrency = 8;                 // LLM requests in flight (retrieval_few_shot pools)
  std::optional<double> max_cost_usd;  // caps the new LLM spend of the whole run
  bool assume_yes = false;
  CacheChoice cache;  // LLM response cache (default: the project's)
  // Overrides of the [curve] table (demo-sized runs, tests).
  std::optional<std::vector<std::size_t>> sizes;
  std::optional<int> seeds;
  std::optional<std::vector<std::string>> approaches;
  std::optional<std::size_t> test_limit;  // score on at most this many test items
  HttpClient* client = nullptr;           // null: the project's libcurl client
  // Fine-tuned points: --finetune replaces [curve] finetune; one provider job per size.
  std::optional<std::vector<std::string>> finetune;
  std::chrono::milliseconds finetune_poll{10000};  // between a job's status checks
  // Asks before the fine-tuning spend (tests); null: y/N at the terminal, none = refused.
  std::function<bool(const std::string&)> confirm;
};

// The [curve] table: sizes (default 50, 100, 250, 500, 1000, 2500 and all of train), seeds (3),
// approaches (default: the config's local approaches, or linear/fasttext/retrieval when it has
// none, plus its retrieval_few_shot approaches), target_accuracy (optional).
struct CurveSettings {
  std::vector<std::size_t> sizes;  // ascending, each below the train size; "all" added by the run
  bool sizes_given = false;        // set by [curve] sizes or --sizes, not the defaults
  int seeds = 3;
  std::vector<ApproachConfig> approaches;
  std::optional<double> target_accuracy;
  std::vector<ApproachConfig> finetune;    // openai approaches with a finetune table
  std::vector<double> finetune_fractions;  // ascending, below 1; all of train added by the run
};
// `only` (the --approaches flag) replaces [curve] approaches; `finetune` (--finetune) replaces
// [curve] finetune.
// The default sizes (`sizes`, ascending, ending with all of train) with 5,000, 10,000, 25,000,
// 50,000, ... added up to three quarters of `train`, for the local approaches: on a train split
// many times larger than 2,500, a fit with nothing between 2,500 and all of train had projected
// below what all of train measured and given no answer. (LLM approaches keep the listed sizes:
// each of theirs is paid for.)
std::vector<std::size_t> with_sizes_toward_train(std::vector<std::size_t> sizes, std::size_t train);

CurveSettings read_curve_settings(const ProjectConfig& config,
                                  const std::optional<std::vector<std::string>>& only = {},
                                  const std::optional<std::vector<std::string>>& finetune = {});

// `tunecase curve`: for each approach, seed and size, trains on the nested stratified subsample
// of train (an LLM retrieval_few_shot approach draws its examples from it) and scores on the
// test split; per size the mean accuracy, min/max, standard deviation and the Wilson interval of
// the pooled count; the fit acc(n) = a - b n^-c with projections at 2x and 4x the train size and
// the labels needed for target_accuracy. A fine-tuned approach is fine-tuned once per fraction of
// train and on all of it (nested stratified subsets, finetune_run.h; each job in
// out_dir/finetune/<name>-<n>/, followed rather than paid again when the run is repeated), its
// whole spend estimated and confirmed before the first job; each tuned model is scored on the test
// split. Writes curve.json, curve.md and curve.html into
// options.out_dir and returns the curve.json document.
nlohmann::json run_curve(const ProjectConfig& config, const CurveOptions& options,
                         std::ostream& log);

// curve.json's "fit" of one approach: the fit acc(n) = a - b n^-c of `points`, its projections
// at 2x and 4x `train_size` with their intervals (never narrower than measuring that accuracy
// on `test_items`), the labels needed for `target`, the warnings (a fit too steep, one that
// projects below `measured_at_train`) and, when the fitted ceiling sits at its bound while the
// two largest sizes gained under half a point a doubling, "levels_off".
nlohmann::json fit_json(const std::vector<CurvePoint>& points, std::size_t train_size,
                        std::optional<double> target, std::optional<double> measured_at_train,
                        std::size_t test_items);

// An approach of curve.json (points and fit) that clears the floor of always answering the test
// split's most frequent `label` (`majority`, its share) with all `train_size` labels, at smaller
// sizes that do not: those sizes, in its fit's "at_majority_floor" and warning (fastText at 50
// labels had read 0.038 against a floor of 0.045, unsaid).
void note_sizes_at_majority_floor(nlohmann::json& approach, std::size_t train_size,
                                  const std::string& label, double majority);

}  // namespace tunecase
