#include "tunecase/quality/inspect.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

namespace tunecase {
namespace {

LabelBalance balance_of(const Splits& s, int min_count) {
  LabelBalance b;
  for (const auto& e : s.train) ++b.train_counts[e.label];
  for (const auto& e : s.test) ++b.test_counts[e.label];
  std::size_t most = 0, least = 0;
  for (const auto& [label, n] : b.train_counts) {
    if (n < static_cast<std::size_t>(min_count)) b.below_min.push_back(label);
    if (n > most) most = n, b.largest = label;
    if (least == 0 || n < least) least = n, b.smallest = label;
  }
  b.imbalance_ratio = least > 0 ? static_cast<double>(most) / static_cast<double>(least) : 0;
  for (const auto& [label, n] : b.test_counts) {
    auto it = b.train_counts.find(label);
    if (it == b.train_counts.end()) {
      b.test_absent_from_train.push_back(label);
    } else if (it->second < static_cast<std::size_t>(min_count)) {
      b.test_tiny_in_train.push_back(label);
    }
  }
  return b;
}

std::vector<std::string_view> texts_of(const Examples& examples) {
  std::vector<std::string_view> out;
  out.reserve(examples.size());
  for (const auto& e : examples) out.emplace_back(e.text);
  return out;
}

void find_near_duplicates(const PreparedData& data, DataQuality& q) {
  const Splits& s = data.splits;
  NearDuplicateOptions options{q.options.near_duplicate_similarity, q.options.threads};
  q.train_near = near_duplicates_within(texts_of(s.train), options, q.options.examples);
  for (const auto& p : q.train_near.examples) {
    q.train_near_examples.push_back({s.train[p.a].text, s.train[p.a].label, "train",
                                     s.train[p.b].text, s.train[p.b].label, "train", p.similarity});
  }
  // Test against train and dev together; dev against train.
  std::vector<std::string_view> reference = texts_of(s.train);
  for (const auto& e : s.dev) reference.emplace_back(e.text);
  auto test_hits = near_duplicates_across(reference, texts_of(s.test), options);
  q.test_near_leaked.assign(s.test.size(), false);
  for (std::size_t t = 0; t < test_hits.size(); ++t) {
    if (!test_hits[t]) continue;
    q.test_near_leaked[t] = true;
    ++q.test_near_leaked_count;
    if (q.leak_examples.size() >= q.options.examples) continue;
    std::size_t r = test_hits[t]->a;
    bool in_train = r < s.train.size();
    const Example& ref = in_train ? s.train[r] : s.dev[r - s.train.size()];
    q.leak_examples.push_back({ref.text, ref.label, in_train ? "train" : "dev", s.test[t].text,
                               s.test[t].label, "test", test_hits[t]->similarity});
  }
  if (!s.dev.empty()) {
    auto dev_hits = near_duplicates_across(texts_of(s.train), texts_of(s.dev), options);
    for (const auto& h : dev_hits) q.dev_near_leaked_count += h.has_value();
  }
}

void estimate_label_noise(const PreparedData& data, DataQuality& q) {
  const Examples& train = data.splits.train;
  std::size_t labels = q.balance.train_counts.size();
  // A row is judged by a model that learnt its label from other rows: with no label of two or
  // more rows, none could be (unjudged_rows), and a figure would be about nothing.
  const bool any_label_twice =
      std::any_of(q.balance.train_counts.begin(), q.balance.train_counts.end(),
                  [](const auto& label_rows) { return label_rows.second >= 2; });
  if (!q.options.label_noise || labels < 2 || train.size() < 2 || !any_label_twice) return;
  OutOfFoldOptions options;
  options.folds = q.options.folds;
  options.seed = q.options.seed;
  options.threads = q.options.threads;
  // Near-duplicates are held out together: a copy in training would vouch for a wrong label.
  if (q.train_near.cluster_of.size() == train.size()) options.groups = q.train_near.cluster_of;
  // Each fold is a model of every label on most of train: on large data minutes in all, so
  // each is said as it ends, with the time so far.
  const auto started = std::chrono::steady_clock::now();
  auto fold_line = [&](const char* part) {
    return [&, part](int done, int folds) {
      if (!q.options.progress) return;
      q.options.progress(fmt::format(
          "label noise{}: fold {} of {} done ({:.0f} s)", part, done, folds,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()));
    };
  };
  if (q.options.progress)
    // The running command's own flag, whatever the size: many labels make a small file slow too.
    q.options.progress(
        fmt::format("label noise: {} folds of {} train rows, {} labels ({} skips "
                    "this step)",
                    options.folds, train.size(), labels, q.options.skip_flag));
  options.on_fold = fold_line("");
  OutOfFold oof = out_of_fold_probabilities(train, options);
  q.noise = confident_learning(oof, q.options.seed);
  // The same on half of the rows: an estimate that is mostly the judging model's own mistakes
  // falls as rows are added, one of wrong labels does not (model_limited_estimate). Three folds
  // there: each judge then trains on a third of train against four fifths in the full run, and
  // the check costs a quarter of the full run's fits, not half.
  Examples half;
  std::vector<std::size_t> half_groups;
  for (std::size_t i : stratified_half(oof.given, q.options.seed)) {
    half.push_back(train[i]);
    if (!options.groups.empty()) half_groups.push_back(options.groups[i]);
  }
  if (half.size() < train.size()) {
    OutOfFoldOptions on_half_options = options;
    on_half_options.folds = std::min(options.folds, 3);
    on_half_options.groups = std::move(half_groups);
    on_half_options.on_fold = fold_line(" (the check on half of train)");
    LabelNoise on_half =
        confident_learning(out_of_fold_probabilities(half, on_half_options), q.options.seed, 0);
    q.noise->half_estimate = on_half.wrong_share.estimate;
  }
  q.noise->limit = model_limit(*q.noise, q.noise->half_estimate);
  for (const auto& s : q.noise->suspects) {
    const Example& e = train[s.row];
    q.suspects.push_back({e.id, e.text, oof.classes[static_cast<std::size_t>(s.given)],
                          oof.classes[static_cast<std::size_t>(s.suggested)], s.confidence,
                          s.given_probability});
  }
}

nlohmann::json interval_json(const ShareEstimate& i) {
  return {{"estimate", i.estimate}, {"ci95", {i.low, i.high}}};
}

nlohmann::json pairs_json(const std::vector<PairExample>& pairs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : pairs) {
    out.push_back({{"similarity", p.similarity},
                   {"a", {{"split", p.a_split}, {"label", p.a_label}, {"text", p.a_text}}},
                   {"b", {{"split", p.b_split}, {"label", p.b_label}, {"text", p.b_text}}}});
  }
  return out;
}

nlohmann::json noise_json(const DataQuality& q) {
  if (!q.noise) return nullptr;
  const LabelNoise& n = *q.noise;
  nlohmann::json by_label = nlohmann::json::array();
  for (const auto& l : n.by_label) {
    // A label no judge learnt from its other rows has no figure, not a 0% or a 100%.
    nlohmann::json entry = l.judged > 0 ? interval_json(l.wrong_share)
                                        : nlohmann::json{{"estimate", nullptr}, {"ci95", nullptr}};
    entry["label"] = l.label;
    entry["rows"] = l.rows;
    entry["judged"] = l.judged;
    entry["suspects"] = l.suspects;
    entry["threshold"] = l.threshold;
    by_label.push_back(std::move(entry));
  }
  nlohmann::json out = interval_json(n.wrong_share);
  out["source"] = "estimated";
  out["method"] =
      "confident learning on out-of-fold probabilities of a logistic-regression model over "
      "TF-IDF (k-fold on train); interval: bootstrap percentile over rows";
  out["reading"] = n.model_limited() ? "upper bound" : "estimate";
  out["judge_accuracy"] = n.judge_accuracy;
  out["judge_accuracy_source"] = "measured (out-of-fold top class = given label)";
  out["half_train_estimate"] = n.half_estimate ? nlohmann::json(*n.half_estimate) : nullptr;
  out["model_limited"] = n.model_limited();
  out["model_limited_by"] = n.model_limited() ? nlohmann::json(limit_name(n.limit)) : nullptr;
  out["bound_reason"] = n.model_limited() ? nlohmann::json(bound_reason(n)) : nullptr;
  out["rows"] = n.rows;
  out["unjudged_rows"] = n.unjudged_rows;
  out["folds"] = n.folds;
  out["estimated_wrong_rows"] = n.estimated_wrong_rows;
  out["suspects"] = n.suspects.size();
  out["by_label"] = std::move(by_label);
  return out;
}

}  // namespace

InspectOptions inspect_options(const DataConfig& config) {
  InspectOptions o;
  o.near_duplicate_similarity = config.near_duplicate_similarity;
  o.min_label_count = config.min_label_count;
  o.seed = config.seed;
  return o;
}

DataQuality inspect_data(const PreparedData& data, const InspectOptions& options) {
  DataQuality q;
  q.summary = data.summary;
  q.options = options;
  q.balance = balance_of(data.splits, options.min_label_count);
  find_near_duplicates(data, q);
  estimate_label_noise(data, q);
  const Splits& s = data.splits;
  double rows = static_cast<double>(s.train.size() + s.dev.size() + s.test.size());
  double wrong = q.noise ? q.noise->wrong_share.estimate * rows : 0;
  double near = static_cast<double>(q.train_near.redundant_rows + q.test_near_leaked_count +
                                    q.dev_near_leaked_count);
  q.high_quality_examples = std::max(0.0, std::round(rows - wrong - near));
  if (q.noise && q.noise->model_limited())
    q.high_quality_examples_high = std::max(0.0, std::round(rows - near));
  return q;
}

nlohmann::json DataQuality::to_json() const {
  const LabelBalance& b = balance;
  nlohmann::json variants = summary.to_json();
  return {
      {"source", "measured, except label_noise (estimated)"},
      {"rows", summary.rows},
      {"labelled", {{"train", summary.train}, {"dev", summary.dev}, {"test", summary.test}}},
      {"high_quality_examples", high_quality_examples},
      {"high_quality_examples_high",
       high_quality_examples_high ? nlohmann::json(*high_quality_examples_high) : nullptr},
      {"high_quality_rule",
       "labelled rows - estimated wrong labels (train share x rows) - near-duplicate rows; when "
       "the label-noise figure is an upper bound (label_noise.model_limited), the count lies "
       "between high_quality_examples and high_quality_examples_high (no wrong labels taken "
       "out)"},
      {"format",
       {{"delimiter", variants["delimiter"]},
        {"skipped_rows", summary.skipped_rows},
        {"invalid_samples", summary.invalid_samples}}},
      {"label_variants",
       {{"labels_trimmed", summary.labels_trimmed},
        {"trimmed_labels", variants["trimmed_labels"]},
        {"labels_composed", variants["labels_composed"]},
        {"composed_labels", variants["composed_labels"]},
        {"groups", variants["label_variants"]},
        {"normalized", summary.labels_normalized},
        {"rows_normalized", summary.label_rows_normalized}}},
      {"balance",
       {{"min_label_count", options.min_label_count},
        {"train_counts", b.train_counts},
        {"test_counts", b.test_counts},
        {"below_min", b.below_min},
        {"imbalance_ratio", b.imbalance_ratio},
        {"largest", b.largest},
        {"smallest", b.smallest},
        {"test_absent_from_train", b.test_absent_from_train},
        {"test_tiny_in_train", b.test_tiny_in_train}}},
      {"duplicates",
       {{"exact_removed", summary.duplicates_removed},
        {"label_conflicts", summary.label_conflicts},
        {"label_ties_dropped", summary.label_ties_dropped},
        {"label_conflict_samples", summary.to_json()["conflict_samples"]},
        {"exact_test_leaked_removed", summary.leaked_into_train},
        {"exact_dev_leaked_removed", summary.dev_leaked_into_train},
        {"leaked_with_other_label", summary.leaked_with_other_label},
        {"leak_conflict_samples", summary.to_json()["leak_conflict_samples"]},
        {"near_similarity", options.near_duplicate_similarity},
        {"near_method", "Jaccard of character 5-gram sets, MinHash/LSH candidates, exact check"},
        {"train_near_pairs", train_near.pairs},
        {"train_near_clusters", train_near.clusters},
        {"train_near_redundant_rows", train_near.redundant_rows},
        {"train_near_examples", pairs_json(train_near_examples)},
        {"test_near_leaked", test_near_leaked_count},
        {"dev_near_leaked", dev_near_leaked_count},
        {"leak_examples", pairs_json(leak_examples)}}},
      {"label_noise", noise_json(*this)}};
}

}  // namespace tunecase
