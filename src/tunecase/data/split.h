#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tunecase/data/example.h"

namespace tunecase {

struct SplitOptions {
  std::string method = "stratified";  // stratified | time
  double test_fraction = 0.2;
  double dev_fraction = 0.1;
  uint64_t seed = 7;
};

// Dev is what tuning may look at; test is looked at once per run.
// A dev or test row removed because train (or, for test, dev) holds its text with another label.
struct LeakConflict {
  std::string text;           // the removed row's, as written
  std::string removed_id;     // its id ("file:line" without an id column)
  std::string removed_split;  // "dev" or "test"
  std::string removed_label;
  std::string kept_id;     // the copy kept
  std::string kept_split;  // "train" or "dev"
  std::string kept_label;
};
inline constexpr std::size_t kMaxLeakConflictSamples = 10;

struct Splits {
  Examples train, dev, test;
  std::vector<std::string> rare_labels;   // labels with a single example, all kept in train
  std::size_t leaked_into_train = 0;      // test rows removed because train or dev holds the text
  std::size_t dev_leaked_into_train = 0;  // dev rows removed because train holds the text
  // Of the test and dev rows removed so, those whose label differs from the label of the copy
  // kept (the files disagree on how the same text is labelled): said, not merged silently.
  std::size_t leaked_with_other_label = 0;
  // The first of them (kMaxLeakConflictSamples), named so that the user can check which label
  // is right: "check which is right" had named no row.
  std::vector<LeakConflict> leak_conflict_samples;
};

// stratified: each label's examples are ordered by a seeded hash of their normalised text (so
// appending rows, or adding a label, leaves the other rows' order as it was and moves few of
// them between splits), and cut into test, dev and train by the fractions, rounded per label. Every
// label with >= 2 examples has >= 1 in train and >= 1 in test; labels with one example go to train
// and are listed in rare_labels. Within each split the input order is kept. The result is the same
// on every platform for the same seed. time: stable sort by Example::time (ISO-8601 sorts as text),
// the oldest (1 - test - dev) to train, then dev, the newest to test. Throws UserError for an
// unknown method or fractions outside 0 < test, 0 <= dev, test + dev < 1.
Splits split_examples(Examples examples, const SplitOptions& options);

// Orders `indices` (rows of `examples`) by mix64(fnv1a64(normalize_text(text)) ^ salt), ties by
// place: a row's rank depends on its own text alone, so rows added or removed leave the others
// in their order. The split orders each label's rows so (salt mix64(seed)); few-shot examples
// too, with a salt of their own (llm/prompt_examples.cpp).
void order_by_text_hash(const Examples& examples, std::vector<std::size_t>& indices, uint64_t salt);

// Pre-split data without a dev file: carves dev out of the train file, stratified and seeded as
// split_examples does (each label's rows ordered by seeded text hash, round(dev_fraction x n) of
// them to dev, at least one for every label with >= 2 rows, at least one left in train). Labels
// with one row stay in train. Input order is kept within each part.
// Throws UserError unless 0 < dev_fraction < 1.
Splits carve_dev_from_train(Examples train, double dev_fraction, uint64_t seed);

// Removes from dev every text whose normalised form is in train, and from test every text whose
// normalised form is in train or dev. Returns how many test rows were removed and adds that to
// `leaked_into_train` (dev removals go to `dev_leaked_into_train`).
std::size_t remove_leakage(Splits& splits);

}  // namespace tunecase
