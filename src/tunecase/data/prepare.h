#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/data/data_config.h"
#include "tunecase/data/dedup.h"
#include "tunecase/data/label_variants.h"
#include "tunecase/data/reader.h"
#include "tunecase/data/split.h"

namespace tunecase {

// What happened to the user's rows on the way to the splits; the "dataset" object of eval.json.
struct DatasetSummary {
  std::size_t rows = 0;  // data rows read, all files
  std::size_t labels = 0, train = 0, dev = 0, test = 0;
  std::size_t duplicates_removed = 0;
  std::size_t leaked_into_train = 0;        // test rows removed: text also in train or dev
  std::size_t dev_leaked_into_train = 0;    // dev rows removed: text also in train
  std::size_t leaked_with_other_label = 0;  // of those and the test ones: another label than kept
  // Where dev came from: "split" (of one file), "file" (a dev file), "carved_from_train"
  // (pre-split files without a dev file: dev_fraction of train), or "none" (dev_fraction = 0).
  std::string dev_source = "none";
  std::size_t skipped_rows = 0;  // empty_text + invalid_rows
  std::size_t empty_text = 0, invalid_rows = 0, unlabelled = 0, label_conflicts = 0;
  // Lines the skipped invalid rows took beyond their first (a stray quote can make one row of
  // many lines): what skip_invalid dropped is invalid_rows + invalid_lines lines.
  std::size_t invalid_lines = 0;
  std::size_t label_ties_dropped = 0;    // of the conflicts, texts with no majority label: dropped
  std::vector<std::string> rare_labels;  // too rare to split, kept in train
  std::vector<std::string> test_labels_unseen_in_train;  // a model cannot learn these
  std::size_t test_rows_unseen_in_train = 0;             // test rows with one of those labels
  // Labels with fewer train rows than [data] min_label_count (and at least one): "label (n)",
  // fewest first. Their per-label figures rest on few rows, and a model barely learns them.
  std::vector<std::string> thin_train_labels;
  int min_label_count = 0;
  std::vector<std::string> invalid_samples;  // "file:line: what", a few
  std::vector<LabelConflict> conflict_samples;
  std::vector<LeakConflict> leak_conflict_samples;  // the first dev/test copies of another label
  // Label spelling: rows whose label had surrounding whitespace (always trimmed), groups of
  // labels equal after case-folding and NFKC, and, under [data] normalize_labels, how many rows
  // were mapped to their group's most frequent spelling (else 0: the variants stay apart).
  std::size_t labels_trimmed = 0;
  // Per label (as trimmed), the rows that wrote it with surrounding whitespace and those that
  // wrote it without: both non-zero means trimming merged two written labels into one.
  struct TrimmedLabel {
    std::string label;
    std::size_t rows_trimmed = 0, rows_as_written = 0;
    std::set<std::string> spellings;  // as written, whitespace and all: two or more merged too
    bool merged() const { return rows_as_written > 0 || spellings.size() > 1; }
  };
  std::vector<TrimmedLabel> trimmed_labels;
  // Rows per label whose label was written in decomposed Unicode (a letter, then its combining
  // accent) and read in the composed form NFC: the same letters, one label.
  std::map<std::string, std::size_t> labels_composed;
  // With a time column: each split's first and last time (UTC, "2025-04-07 09:57"), in split
  // order, and the rows dated after tomorrow (a mistyped year: a time split makes them test rows).
  struct TimeSpan {
    std::string split, first, last;
  };
  std::vector<TimeSpan> time_spans;
  std::size_t future_rows = 0;
  std::vector<std::string> future_samples;  // "2031-02-03 (tickets.csv:12, test split)", a few
  std::vector<LabelVariantGroup> label_variants;
  // Spellings normalize_labels read as a [labels] entry while reading (allowed label ->
  // spelling -> rows): shown as variant groups beside the others.
  std::map<std::string, std::map<std::string, std::size_t>> spellings_of_allowed;
  bool labels_normalized = false;
  std::size_t label_rows_normalized = 0;
  char delimiter = 0;  // the CSV delimiter used (0: not a .csv file)
  // With an id column: rows (of different texts, kept after de-duplication) whose id an earlier
  // row already has, and a few such ids. Per-item outputs and feedback by id cannot tell them
  // apart.
  std::size_t duplicate_ids = 0;
  std::vector<std::string> duplicate_id_samples;
  // One file split by tunecase: the test_fraction asked for, and the share the test split got.
  // Every label with two or more rows gives at least one test row and each label's share is
  // rounded, so with few rows per label the two differ. 0 and 0 for pre-split files.
  double test_fraction = 0, test_share = 0;

  // The contract's keys (rows, labels, train, dev, test, duplicates_removed, leaked_into_train,
  // skipped_rows) plus every other field above.
  nlohmann::json to_json() const;
  // "12 of the 600 rows read are in no split: 6 without a label and 6 with an empty text", or ""
  // when every row read is in a split or was counted as a duplicate: what makes the split sizes
  // add up for whoever reads only the terminal (eval, check).
  std::string rows_in_no_split() const;
  // "N test and M dev rows removed as exact copies of train/dev (K with another label than the
  // copy kept)", or "" when none was: the terminal lines of check and inspect say it alike.
  std::string copies_removed() const;
  // "12 rows' labels had surrounding whitespace, trimmed (1 label)", and when trimming merged a
  // label into one written without it, "; 1 of them merged into the label written without it:
  // 'refund' (12 rows written with surrounding whitespace joined 30 written without)"; "" when no
  // label was trimmed. Every report that counts trimmed labels says it alike.
  std::string trimmed_labels_said() const;
  // "412 rows' labels were written in decomposed Unicode (NFD) and read in the composed form
  // (NFC), the same letters: 'Störung' (204 rows), ...", or "" when none was.
  std::string composed_labels_said() const;
};

struct PreparedData {
  Splits splits;
  std::vector<std::string> labels;  // sorted, every label of every split
  DatasetSummary summary;
  Examples unlabelled;  // rows without a label, from every file (for prediction, not scoring)
};

// From the [data] config to splits. Every file is read first; label variants are found across
// all of them (and mapped to one spelling under normalize_labels) before de-duplication, so that
// "BILLING" and "billing" rows of one text are one text with one label. One file: de-duplicate,
// split (config.split); after
// de-duplication no text can reach two splits, so leaked_into_train stays 0. Pre-split files
// (train, test, optional dev): read each, de-duplicate within each; without a dev file and with
// dev_fraction > 0, carve dev from train (carve_dev_from_train, seeded by [data] seed); then
// remove test rows whose text is in train or dev (and dev rows whose text is in train) and count
// them.
// Throws UserError for reader errors, when no row has a label, or when the test split ends empty.
// `evaluable` (the default): UserError when the data cannot be evaluated (one label, an empty
// test split), saying why. `tunecase inspect` reads such data too: its report says what is wrong.
PreparedData prepare_data(const DataConfig& config, bool evaluable = true);

// How [data] says its files are read (columns, delimiter, [labels], normalize_labels,
// skip_invalid), for a reader of one file outside prepare_data (replay).
ReadOptions read_options(const DataConfig& config);

}  // namespace tunecase
