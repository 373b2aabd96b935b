#include "tunecase/data/prepare.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/core/error.h"
#include "tunecase/core/suggest.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/data/reader.h"

namespace tunecase {

ReadOptions read_options(const DataConfig& config) {
  ReadOptions options;
  options.text_column = config.text;
  options.label_column = config.label;
  options.time_column = config.time;
  options.id_column = config.id;
  options.skip_invalid = config.skip_invalid;
  options.allowed_labels = config.allowed_labels;
  options.normalize_labels = config.normalize_labels;
  options.delimiter = config.delimiter;
  return options;
}

namespace {

// Reads one file, adds its counts to the summary and its unlabelled rows to `unlabelled`, and
// returns its labelled rows as read.
Examples read_file(const std::filesystem::path& file, const DataConfig& config,
                   DatasetSummary& summary, Examples& unlabelled) {
  ReadResult read = read_examples(file, read_options(config));
  summary.rows += read.rows;
  summary.labels_trimmed += read.labels_trimmed;
  summary.label_rows_normalized += read.labels_mapped_to_allowed;
  for (const auto& [label, rows] : read.labels_composed) summary.labels_composed[label] += rows;
  for (const auto& [label, spellings] : read.mapped_spellings)
    for (const auto& [spelling, rows] : spellings)
      summary.spellings_of_allowed[label][spelling] += rows;
  for (const auto& [label, rows] : read.trimmed_label_rows) {
    auto at = std::find_if(summary.trimmed_labels.begin(), summary.trimmed_labels.end(),
                           [&](const auto& t) { return t.label == label; });
    if (at == summary.trimmed_labels.end())
      at = summary.trimmed_labels.insert(summary.trimmed_labels.end(), {label, 0, 0, {}});
    at->rows_trimmed += rows;
    at->spellings.merge(read.trimmed_label_spellings[label]);
  }
  if (read.delimiter != 0) summary.delimiter = read.delimiter;
  summary.empty_text += read.empty_text_skipped;
  summary.invalid_rows += read.invalid_skipped;
  summary.invalid_lines += read.invalid_lines_skipped;
  summary.unlabelled += read.unlabelled.size();
  const std::string first_invalid =
      read.invalid_samples.empty() ? std::string("(no sample kept)") : read.invalid_samples.front();
  for (auto& message : read.invalid_samples) {
    if (summary.invalid_samples.size() < 5) summary.invalid_samples.push_back(std::move(message));
  }
  for (auto& e : read.unlabelled) unlabelled.push_back(std::move(e));
  if (read.labelled.empty() && read.invalid_skipped > 0 &&
      read.invalid_skipped + read.empty_text_skipped + read.unlabelled.size() >= read.rows) {
    // --skip-invalid skipped what would have been the labelled rows: a file in another encoding
    // skips every row, and "no row has a label" had sent the user to check a correct column.
    throw UserError(fmt::format(
        "{}: no row is left to use: {} of the {} rows read were skipped as invalid "
        "(--skip-invalid), the first: {}. Mend the file as that says (point [data] path, or "
        "--data, at a converted copy) and run again",
        file.string(), read.invalid_skipped, read.rows, first_invalid));
  }
  if (read.labelled.empty()) {
    throw UserError(fmt::format(
        "{}: no row has a label in column \"{}\" ({} rows read); check [data] label (or "
        "--label) and the file",
        file.string(), config.label, read.rows));
  }
  return std::move(read.labelled);
}

// Collapses duplicate texts of one file (or split) and adds the counts to the summary.
void deduplicate_into(Examples& examples, DatasetSummary& summary) {
  DedupResult dedup = deduplicate(examples);
  summary.duplicates_removed += dedup.duplicates_removed;
  summary.label_conflicts += dedup.label_conflicts;
  summary.label_ties_dropped += dedup.ties_dropped;
  for (auto& conflict : dedup.conflict_samples) {
    if (summary.conflict_samples.size() < 10)
      summary.conflict_samples.push_back(std::move(conflict));
  }
}

// Finds label variants across every file read, and under normalize_labels maps them to one
// spelling.
void handle_label_variants(const std::vector<Examples*>& sets, const DataConfig& config,
                           DatasetSummary& summary) {
  std::vector<const Examples*> read_only(sets.begin(), sets.end());
  if (!summary.trimmed_labels.empty()) {
    std::map<std::string, std::size_t> rows;
    for (const Examples* set : read_only)
      for (const Example& e : *set) ++rows[e.label];
    for (auto& t : summary.trimmed_labels)
      t.rows_as_written = rows[t.label] > t.rows_trimmed ? rows[t.label] - t.rows_trimmed : 0;
  }
  summary.label_variants = find_label_variants(read_only);
  summary.labels_normalized = config.normalize_labels;
  if (!config.normalize_labels) return;
  for (Examples* set : sets)
    summary.label_rows_normalized += apply_label_variants(summary.label_variants, *set);
  // Spellings already read as their [labels] entry are groups too, under that entry's spelling
  // (the report had said no label was written two ways while 304 rows were merged).
  if (summary.spellings_of_allowed.empty()) return;
  std::map<std::string, std::size_t> rows;
  for (const Examples* set : read_only)
    for (const Example& e : *set) ++rows[e.label];
  for (const auto& [label, spellings] : summary.spellings_of_allowed) {
    auto group = std::find_if(summary.label_variants.begin(), summary.label_variants.end(),
                              [&](const LabelVariantGroup& g) { return g.canonical == label; });
    if (group == summary.label_variants.end()) {
      std::size_t mapped = 0;
      for (const auto& [spelling, n] : spellings) mapped += n;
      LabelVariantGroup g{label, {}};
      if (rows[label] > mapped) g.spellings.emplace_back(label, rows[label] - mapped);
      group = summary.label_variants.insert(summary.label_variants.end(), g);
    }
    for (const auto& [spelling, n] : spellings) group->spellings.emplace_back(spelling, n);
    std::sort(group->spellings.begin(), group->spellings.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
  }
  std::sort(summary.label_variants.begin(), summary.label_variants.end(),
            [](const LabelVariantGroup& a, const LabelVariantGroup& b) {
              return a.canonical < b.canonical;
            });
}

std::set<std::string> labels_of(const Examples& examples) {
  std::set<std::string> labels;
  for (const auto& e : examples) labels.insert(e.label);
  return labels;
}

// Ids that more than one kept row carries (rows of one text are one row by now).
void count_duplicate_ids(PreparedData& data) {
  constexpr std::size_t kSamples = 5;
  std::unordered_set<std::string> seen;
  std::set<std::string> sampled;
  DatasetSummary& summary = data.summary;
  for (const Examples* set :
       {&data.splits.train, &data.splits.dev, &data.splits.test, &data.unlabelled}) {
    for (const Example& e : *set) {
      if (seen.insert(e.id).second) continue;
      ++summary.duplicate_ids;
      if (sampled.size() < kSamples && sampled.insert(e.id).second)
        summary.duplicate_id_samples.push_back(e.id);
    }
  }
}

// With a time column: each split's first and last time, and the rows dated in the future (a
// mistyped year), which a time split puts in the test period without a word.
void summarise_times(PreparedData& data) {
  DatasetSummary& summary = data.summary;
  const int64_t tomorrow = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() +
                           86'400'000;
  const std::pair<const char*, const Examples*> parts[] = {
      {"train", &data.splits.train}, {"dev", &data.splits.dev}, {"test", &data.splits.test}};
  for (const auto& [name, examples] : parts) {
    std::optional<int64_t> first, last;
    for (const Example& e : *examples) {
      if (e.time.empty()) continue;
      std::optional<int64_t> at = parse_data_time(e.time);
      if (!at) continue;
      first = first ? std::min(*first, *at) : *at;
      last = last ? std::max(*last, *at) : *at;
      if (*at > tomorrow) {
        ++summary.future_rows;
        if (summary.future_samples.size() < 3)
          summary.future_samples.push_back(fmt::format("{} ({}, {} split)", e.time, e.id, name));
      }
    }
    if (first)
      summary.time_spans.push_back({name, utc_text(*first, false), utc_text(*last, false)});
  }
}

void summarise_splits(PreparedData& data, int min_label_count) {
  const Splits& s = data.splits;
  DatasetSummary& summary = data.summary;
  std::set<std::string> train = labels_of(s.train);
  std::map<std::string, std::size_t> train_rows;
  for (const Example& e : s.train) ++train_rows[e.label];
  std::vector<std::pair<std::size_t, std::string>> thin;
  for (const auto& [label, n] : train_rows)
    if (n < static_cast<std::size_t>(min_label_count)) thin.emplace_back(n, label);
  std::sort(thin.begin(), thin.end());
  summary.min_label_count = min_label_count;
  for (const auto& [n, label] : thin)
    summary.thin_train_labels.push_back(fmt::format("{} ({})", label, n));
  std::set<std::string> all = train;
  all.merge(labels_of(s.dev));
  std::set<std::string> test = labels_of(s.test);
  for (const auto& label : test) {
    if (!train.contains(label)) summary.test_labels_unseen_in_train.push_back(label);
  }
  summary.test_rows_unseen_in_train = static_cast<std::size_t>(std::count_if(
      s.test.begin(), s.test.end(), [&](const Example& e) { return !train.contains(e.label); }));
  all.merge(test);
  data.labels.assign(all.begin(), all.end());
  summary.labels = data.labels.size();
  summary.train = s.train.size();
  summary.dev = s.dev.size();
  summary.test = s.test.size();
  summary.leaked_into_train = s.leaked_into_train;
  summary.dev_leaked_into_train = s.dev_leaked_into_train;
  summary.leaked_with_other_label = s.leaked_with_other_label;
  summary.leak_conflict_samples = s.leak_conflict_samples;
  summary.rare_labels = s.rare_labels;
  summary.skipped_rows = summary.empty_text + summary.invalid_rows;
  summarise_times(data);
}

Splits split_one_file(const DataConfig& config, DatasetSummary& summary, Examples& unlabelled) {
  if (config.split == "time" && config.time.empty()) {
    throw UserError(
        "split = \"time\" needs a time column; set [data] time = \"<column>\" (or --time)");
  }
  Examples labelled = read_file(config.path, config, summary, unlabelled);
  handle_label_variants({&labelled}, config, summary);
  deduplicate_into(labelled, summary);
  SplitOptions options{config.split, config.test_fraction, config.dev_fraction, config.seed};
  return split_examples(std::move(labelled), options);
}

Splits read_pre_split(const DataConfig& config, DatasetSummary& summary, Examples& unlabelled) {
  if (config.train.empty() || config.test.empty()) {
    throw UserError(
        "pre-split data needs both a train and a test file; set [data] train and test (or "
        "--train and --test)");
  }
  Splits splits;
  splits.train = read_file(config.train, config, summary, unlabelled);
  if (!config.dev.empty()) splits.dev = read_file(config.dev, config, summary, unlabelled);
  splits.test = read_file(config.test, config, summary, unlabelled);
  handle_label_variants({&splits.train, &splits.dev, &splits.test}, config, summary);
  deduplicate_into(splits.train, summary);
  deduplicate_into(splits.dev, summary);
  deduplicate_into(splits.test, summary);
  if (!config.dev.empty()) {
    summary.dev_source = "file";
  } else if (config.dev_fraction > 0) {
    // No dev file: dev comes out of train as a one-file split would make it, so eval, optimize
    // and curve see the same dev split.
    Splits carved = carve_dev_from_train(std::move(splits.train), config.dev_fraction, config.seed);
    splits.train = std::move(carved.train);
    splits.dev = std::move(carved.dev);
    summary.dev_source = "carved_from_train";
  } else {
    summary.dev_source = "none";
  }
  return splits;
}

// Pre-split files: test (and dev) must be held out from the others. The same file named twice
// would only be found later as leakage that empties a split, with a message about the wrong one.
void refuse_one_file_twice(const DataConfig& config) {
  const std::pair<const char*, const std::filesystem::path*> files[] = {
      {"train", &config.train}, {"dev", &config.dev}, {"test", &config.test}};
  for (std::size_t i = 0; i < std::size(files); ++i) {
    for (std::size_t j = i + 1; j < std::size(files); ++j) {
      std::error_code ignored;
      if (files[i].second->empty() || files[j].second->empty() ||
          !std::filesystem::equivalent(*files[i].second, *files[j].second, ignored))
        continue;
      throw UserError(fmt::format(
          "[data] {} and {} (--{}, --{}) name the same file, {}: the {} split must be held out "
          "from the {} split; give a separate {} file",
          files[i].first, files[j].first, files[i].first, files[j].first, files[j].second->string(),
          files[j].first, files[i].first, files[j].first));
    }
  }
}

}  // namespace

std::string DatasetSummary::trimmed_labels_said() const {
  if (labels_trimmed == 0) return "";
  std::string out = fmt::format(
      "{} row{} label{} had surrounding whitespace or invisible characters, trimmed "
      "({} label{})",
      labels_trimmed, labels_trimmed == 1 ? "'s" : "s'", labels_trimmed == 1 ? "" : "s",
      trimmed_labels.size(), trimmed_labels.size() == 1 ? "" : "s");
  std::vector<std::string> merged;
  for (const auto& t : trimmed_labels)
    if (t.rows_as_written > 0)
      merged.push_back(
          fmt::format("'{}' ({} rows written with surrounding whitespace or invisible characters "
                      "joined {} "
                      "written without)",
                      visible(t.label), t.rows_trimmed, t.rows_as_written));
    else if (t.merged())
      merged.push_back(fmt::format("'{}' ({} rows written {} ways with it, now one label)",
                                   visible(t.label), t.rows_trimmed, t.spellings.size()));
  constexpr std::size_t kNamed = 3;
  if (!merged.empty())
    out += fmt::format(
        "; {} of them merged spellings into one label: {}{}", merged.size(),
        fmt::join(merged.begin(),
                  merged.begin() + static_cast<long>(std::min(merged.size(), kNamed)), "; "),
        merged.size() > kNamed ? fmt::format("; and {} more", merged.size() - kNamed) : "");
  return out;
}

std::string DatasetSummary::composed_labels_said() const {
  if (labels_composed.empty()) return "";
  std::size_t rows = 0;
  std::vector<std::pair<std::size_t, std::string>> by_rows;
  for (const auto& [label, n] : labels_composed) {
    rows += n;
    by_rows.emplace_back(n, label);
  }
  std::sort(by_rows.begin(), by_rows.end(), std::greater<>());
  constexpr std::size_t kNamed = 3;
  std::vector<std::string> named;
  for (std::size_t i = 0; i < std::min(kNamed, by_rows.size()); ++i)
    named.push_back(fmt::format("'{}' ({} row{})", visible(by_rows[i].second), by_rows[i].first,
                                by_rows[i].first == 1 ? "" : "s"));
  return fmt::format(
      "{} row{} label{} written in decomposed Unicode (a letter, then its combining accent, "
      "as macOS and some exports write it) and read in the composed form (NFC), the same "
      "letters as one label: {}{}",
      rows, rows == 1 ? "'s" : "s'", rows == 1 ? " was" : "s were", fmt::join(named, ", "),
      by_rows.size() > kNamed ? fmt::format(" and {} more labels", by_rows.size() - kNamed) : "");
}

std::string DatasetSummary::rows_in_no_split() const {
  if (unlabelled == 0 && empty_text == 0) return {};
  std::vector<std::string> left;
  if (unlabelled > 0) left.push_back(fmt::format("{} without a label", unlabelled));
  if (empty_text > 0) left.push_back(fmt::format("{} with an empty text", empty_text));
  return fmt::format("{} of the {} rows read are in no split: {}", unlabelled + empty_text, rows,
                     fmt::join(left, " and "));
}

std::string DatasetSummary::copies_removed() const {
  if (leaked_into_train + dev_leaked_into_train == 0) return {};
  return fmt::format(
      "{} test and {} dev rows removed as exact copies of train{}{}", leaked_into_train,
      dev_leaked_into_train, leaked_into_train > 0 ? "/dev" : "",
      leaked_with_other_label > 0
          ? fmt::format(" ({} with another label than the copy kept)", leaked_with_other_label)
          : "");
}

nlohmann::json DatasetSummary::to_json() const {
  nlohmann::json conflicts = nlohmann::json::array();
  for (const auto& c : conflict_samples) {
    conflicts.push_back({{"text", c.text}, {"label_counts", c.label_counts}, {"chosen", c.chosen}});
  }
  return {
      {"rows", rows},
      {"labels", labels},
      {"train", train},
      {"dev", dev},
      {"test", test},
      {"duplicates_removed", duplicates_removed},
      {"leaked_into_train", leaked_into_train},
      {"skipped_rows", skipped_rows},
      {"dev_source", dev_source},
      {"dev_leaked_into_train", dev_leaked_into_train},
      {"leaked_with_other_label", leaked_with_other_label},
      {"empty_text", empty_text},
      {"invalid_rows", invalid_rows},
      {"invalid_lines", invalid_lines},
      {"unlabelled", unlabelled},
      {"label_conflicts", label_conflicts},
      {"label_ties_dropped", label_ties_dropped},
      {"rare_labels", rare_labels},
      {"test_labels_unseen_in_train", test_labels_unseen_in_train},
      {"test_rows_unseen_in_train", test_rows_unseen_in_train},
      {"thin_train_labels", thin_train_labels},
      {"min_label_count", min_label_count},
      {"invalid_samples", invalid_samples},
      {"conflict_samples", conflicts},
      {"leak_conflict_samples",
       [&] {
         nlohmann::json list = nlohmann::json::array();
         for (const auto& c : leak_conflict_samples)
           list.push_back(
               {{"text", c.text},
                {"removed",
                 {{"id", c.removed_id}, {"split", c.removed_split}, {"label", c.removed_label}}},
                {"kept", {{"id", c.kept_id}, {"split", c.kept_split}, {"label", c.kept_label}}}});
         return list;
       }()},
      {"labels_trimmed", labels_trimmed},
      {"trimmed_labels",
       [&] {
         nlohmann::json list = nlohmann::json::array();
         for (const auto& t : trimmed_labels)
           list.push_back({{"label", t.label},
                           {"rows_trimmed", t.rows_trimmed},
                           {"rows_as_written", t.rows_as_written},
                           {"spellings_trimmed", t.spellings.size()}});
         return list;
       }()},
      {"time_spans",
       [&] {
         nlohmann::json list = nlohmann::json::array();
         for (const auto& t : time_spans)
           list.push_back({{"split", t.split}, {"first", t.first}, {"last", t.last}});
         return list;
       }()},
      {"future_rows", future_rows},
      {"future_samples", future_samples},
      {"labels_composed",
       [&] {
         std::size_t rows = 0;
         for (const auto& [label, n] : labels_composed) rows += n;
         return rows;
       }()},
      {"composed_labels", labels_composed},
      {"label_variants", label_variants_json(label_variants)},
      {"labels_normalized", labels_normalized},
      {"label_rows_normalized", label_rows_normalized},
      {"delimiter", delimiter == 0 ? std::string() : std::string(1, delimiter)},
      {"duplicate_ids", duplicate_ids},
      {"duplicate_id_samples", duplicate_id_samples},
      {"test_fraction", test_fraction},
      {"test_share", test_share}};
}

PreparedData prepare_data(const DataConfig& config, bool evaluable) {
  if (config.path.empty() && !config.pre_split()) {
    throw UserError(
        "no data given; set [data] path = \"<file>\" (or train and test for pre-split files), "
        "or pass --data FILE");
  }
  PreparedData data;
  if (config.pre_split()) {
    refuse_one_file_twice(config);
    data.splits = read_pre_split(config, data.summary, data.unlabelled);
    remove_leakage(data.splits);
  } else {
    // One file is de-duplicated before it is split, so no text can be in two splits: the
    // leakage pass would only normalise every text a second time to find nothing.
    data.splits = split_one_file(config, data.summary, data.unlabelled);
    data.summary.dev_source = data.splits.dev.empty() ? "none" : "split";
  }
  summarise_splits(data, config.min_label_count);
  if (!config.pre_split()) {
    const DatasetSummary& s = data.summary;
    std::size_t kept = s.train + s.dev + s.test;
    data.summary.test_fraction = config.test_fraction;
    if (kept > 0) data.summary.test_share = static_cast<double>(s.test) / static_cast<double>(kept);
  }
  if (!config.id.empty()) count_duplicate_ids(data);
  // One value in the label column is most often the wrong column named (a source, a language,
  // a constant): every approach would score 100% and the comparison would mean nothing.
  const DatasetSummary& s = data.summary;
  const std::size_t kept = s.train + s.dev + s.test;
  // What de-duplication merged, when it explains a small remainder: a file of one text repeated
  // with two labels is not a file of one label.
  const std::string merged =
      s.duplicates_removed == 0
          ? std::string()
          : fmt::format(
                " ({} rows read; {} rows repeating another row's text were merged into it, {} "
                "texts with conflicting labels{}: see `tunecase inspect`)",
                s.rows, s.duplicates_removed, s.label_conflicts,
                s.label_ties_dropped == 0
                    ? std::string()
                    : fmt::format(", {} of them with no majority label and dropped",
                                  s.label_ties_dropped));
  if (!evaluable) return data;
  if (data.labels.size() == 1) {
    throw UserError(fmt::format(
        "the label column '{}' holds one value, '{}', in all {} labelled rows{}; a classifier "
        "needs two or more labels. Check that [data] label (or --label) names the column of "
        "categories",
        config.label, data.labels.front(), kept, merged));
  }
  if (data.splits.test.empty()) {
    // As many labels as rows: the column named is an id or a free text, not a category.
    if (data.labels.size() == kept && kept > 2)
      throw UserError(fmt::format(
          "every value of the label column '{}' occurs once ({} labels in {} labelled rows): it "
          "looks like an id or a free text, not a category. Check that [data] label (or --label) "
          "names the column of categories",
          config.label, data.labels.size(), kept));
    throw UserError(fmt::format(
        "the test split is empty ({} labelled rows after de-duplication and leakage removal{}); "
        "a held-out evaluation needs more labelled rows, or a test file whose texts are not all "
        "in train or dev",
        s.train + s.dev, merged));
  }
  return data;
}

}  // namespace tunecase
