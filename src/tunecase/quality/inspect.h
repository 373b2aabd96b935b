#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/data/prepare.h"
#include "tunecase/quality/label_noise.h"
#include "tunecase/quality/near_duplicates.h"

namespace tunecase {

// The data-quality report of `tunecase inspect` (and of `eval`'s data.md): does a labelled
// dataset support training or fine-tuning? Every figure is either counted on the data (measured)
// or inferred by a model (estimated: the label-noise figures); the JSON and Markdown say which.
struct InspectOptions {
  double near_duplicate_similarity = 0.8;  // [data] near_duplicate_similarity
  int min_label_count = 10;                // [data] min_label_count
  bool label_noise = true;                 // run the k-fold models (the slow part)
  int folds = 5;
  uint64_t seed = 7;
  int threads = 2;           // near-duplicate signatures and the k-fold models
  std::size_t examples = 5;  // example pairs kept per finding
  // Lines saying where a long run is (each step, each label-noise fold with its time so far);
  // none when empty.
  std::function<void(const std::string&)> progress;
  // The flag of the running command that skips the label-noise check (eval's is --no-inspect).
  std::string skip_flag = "--no-noise";
};

struct LabelBalance {
  std::map<std::string, std::size_t> train_counts, test_counts;
  std::vector<std::string> below_min;  // train labels with fewer than min_label_count rows
  double imbalance_ratio = 0;          // rows of the largest train label / of the smallest
  std::string largest, smallest;
  std::vector<std::string> test_absent_from_train, test_tiny_in_train;
};

// Two texts that are near-copies, as shown to a reader.
struct PairExample {
  std::string a_text, a_label, a_split, b_text, b_label, b_split;
  double similarity = 0;
};

struct SuspectRow {
  std::string id, text, given, suggested;
  double confidence = 0, given_probability = 0;
};

struct DataQuality {
  DatasetSummary summary;
  InspectOptions options;
  LabelBalance balance;
  // Near-duplicates within train (over-weighting) and from dev/test into train (leakage the
  // exact check cannot see).
  WithinDuplicates train_near;
  std::vector<PairExample> train_near_examples;
  std::vector<bool> test_near_leaked;  // per test row: a near-copy of a train or dev text
  std::size_t test_near_leaked_count = 0, dev_near_leaked_count = 0;
  std::vector<PairExample> leak_examples;
  std::optional<LabelNoise> noise;  // label noise of train (absent when not run)
  std::vector<SuspectRow> suspects;
  // Labelled rows (all splits) minus estimated wrong labels (the train share applied to every
  // row) minus near-duplicate rows (redundant in train, near-leaked in dev and test): the count
  // checklist question 1 uses.
  double high_quality_examples = 0;
  // When the label-noise figure is only an upper bound (LabelNoise::model_limited()), the count
  // with no wrong labels taken out: the true count lies between the two.
  std::optional<double> high_quality_examples_high;

  nlohmann::json to_json() const;
};

// Runs every check on prepared data. Label noise needs >= 2 train labels; with fewer, or when
// options.label_noise is off, `noise` stays empty.
DataQuality inspect_data(const PreparedData& data, const InspectOptions& options);

// The options a project's [data] table sets.
InspectOptions inspect_options(const DataConfig& config);

}  // namespace tunecase
