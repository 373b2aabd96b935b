#include "tunecase/data/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/data/normalize.h"

namespace tunecase {
namespace {

enum class Part : unsigned char { kTrain, kDev, kTest };

void check_options(const SplitOptions& options) {
  if (options.method != "stratified" && options.method != "time") {
    throw UserError(fmt::format(
        "[data] split = \"{}\" is not known; use \"stratified\" or \"time\"", options.method));
  }
  bool ok = options.test_fraction > 0 && options.dev_fraction >= 0 &&
            options.test_fraction + options.dev_fraction < 1;
  if (!ok) {
    throw UserError(fmt::format(
        "[data] test_fraction = {} and dev_fraction = {} do not leave room for training; use "
        "0 < test_fraction, 0 <= dev_fraction and test_fraction + dev_fraction < 1",
        options.test_fraction, options.dev_fraction));
  }
}

struct Cut {
  std::size_t test = 0, dev = 0;
};

// How many of n examples go to test and dev: the fractions rounded, with at least one in test
// and one left for train whenever n >= 2.
Cut cut_for(std::size_t n, const SplitOptions& options) {
  if (n < 2) return {};
  auto rounded = [n](double fraction) {
    return static_cast<std::size_t>(std::llround(static_cast<double>(n) * fraction));
  };
  Cut cut;
  cut.test = std::clamp<std::size_t>(rounded(options.test_fraction), 1, n - 1);
  cut.dev = std::min(rounded(options.dev_fraction), n - cut.test - 1);
  return cut;
}

// Marks the first cut.test indices as test and the next cut.dev as dev.
void assign(const std::vector<std::size_t>& order, Cut cut, std::vector<Part>& part) {
  for (std::size_t k = 0; k < cut.test + cut.dev; ++k) {
    part[order[k]] = k < cut.test ? Part::kTest : Part::kDev;
  }
}

Splits distribute(Examples& examples, const std::vector<Part>& part) {
  Splits splits;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    Examples& target = part[i] == Part::kTrain ? splits.train
                       : part[i] == Part::kDev ? splits.dev
                                               : splits.test;
    target.push_back(std::move(examples[i]));
  }
  return splits;
}

// Orders one label's rows by a seeded hash of each row's normalised text (ties, the same text
// twice, by file order). A row's place depends on its own text alone, so rows appended to a file
// or removed from it leave the others in the order they had: a split cut from that order keeps
// nearly all of an earlier run's test rows in test (those answered already are answered from
// the cache, not paid again), where a shuffle by row count had moved most of them to train.
void order_by_text(const Examples& examples, std::vector<std::size_t>& indices, uint64_t seed) {
  order_by_text_hash(examples, indices, mix64(seed));
}

Splits split_stratified(Examples& examples, const SplitOptions& options) {
  std::map<std::string, std::vector<std::size_t>> by_label;
  for (std::size_t i = 0; i < examples.size(); ++i) by_label[examples[i].label].push_back(i);
  std::vector<Part> part(examples.size(), Part::kTrain);
  std::vector<std::string> rare;
  for (auto& [label, indices] : by_label) {
    if (indices.size() < 2) {
      rare.push_back(label);
      continue;
    }
    order_by_text(examples, indices, options.seed);
    assign(indices, cut_for(indices.size(), options), part);
  }
  Splits splits = distribute(examples, part);
  splits.rare_labels = std::move(rare);
  return splits;
}

Splits split_by_time(Examples& examples, const SplitOptions& options) {
  // Ordered by the instant each time names, not by its text: "12/31/2023" sorts after
  // "01/05/2024" as text, and "10:00+02:00" is before "09:00Z".
  std::vector<int64_t> at(examples.size());
  for (std::size_t i = 0; i < examples.size(); ++i) {
    std::optional<int64_t> ms = parse_data_time(examples[i].time);
    if (!ms) {
      throw UserError(fmt::format(
          "{}: time '{}' is not a time tunecase reads; a time split needs every row's time "
          "in {}. Fix the row, or split = \"stratified\"",
          examples[i].id, examples[i].time, kDataTimeFormats));
    }
    at[i] = *ms;
  }
  std::vector<std::size_t> order(examples.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return at[a] < at[b]; });
  // Newest first, so that assign() hands the newest rows to test and the next ones to dev.
  std::reverse(order.begin(), order.end());
  std::vector<Part> part(examples.size(), Part::kTrain);
  assign(order, cut_for(examples.size(), options), part);
  // Emit in time order (oldest first) rather than file order.
  Examples sorted;
  sorted.reserve(examples.size());
  std::vector<Part> sorted_part;
  sorted_part.reserve(examples.size());
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    sorted.push_back(std::move(examples[*it]));
    sorted_part.push_back(part[*it]);
  }
  return distribute(sorted, sorted_part);
}

// The copy kept of a text: where it is, and its label.
struct KeptCopy {
  const Example* example;
  const char* split;
};

// Erases the examples of `split` whose normalised text is in `seen`; returns how many, counts
// in `splits.leaked_with_other_label` those whose own label differs, and names the first.
std::size_t erase_seen(Examples& examples, const char* split,
                       const std::unordered_map<std::string, KeptCopy>& seen, Splits& splits) {
  std::size_t before = examples.size();
  std::erase_if(examples, [&](const Example& e) {
    auto it = seen.find(normalize_text(e.text));
    if (it == seen.end()) return false;
    const Example& kept = *it->second.example;
    if (kept.label != e.label) {
      ++splits.leaked_with_other_label;
      if (splits.leak_conflict_samples.size() < kMaxLeakConflictSamples)
        splits.leak_conflict_samples.push_back(
            {e.text, e.id, split, e.label, kept.id, it->second.split, kept.label});
    }
    return true;
  });
  return before - examples.size();
}

}  // namespace

void order_by_text_hash(const Examples& examples, std::vector<std::size_t>& indices,
                        uint64_t salt) {
  std::vector<std::pair<uint64_t, std::size_t>> keyed;
  keyed.reserve(indices.size());
  for (std::size_t i : indices)
    keyed.emplace_back(mix64(fnv1a64(normalize_text(examples[i].text)) ^ salt), i);
  std::sort(keyed.begin(), keyed.end());
  for (std::size_t k = 0; k < keyed.size(); ++k) indices[k] = keyed[k].second;
}

Splits split_examples(Examples examples, const SplitOptions& options) {
  check_options(options);
  if (options.method == "time") return split_by_time(examples, options);
  return split_stratified(examples, options);
}

Splits carve_dev_from_train(Examples train, double dev_fraction, uint64_t seed) {
  if (!(dev_fraction > 0 && dev_fraction < 1)) {
    throw UserError(fmt::format(
        "[data] dev_fraction = {} cannot carve a dev split from the train file; use a value "
        "between 0 and 1 (e.g. 0.1), or give a dev file",
        dev_fraction));
  }
  // The dev share plays the part of the test share of a one-file split.
  Splits cut = split_examples(std::move(train), SplitOptions{"stratified", dev_fraction, 0, seed});
  Splits out;
  out.train = std::move(cut.train);
  out.dev = std::move(cut.test);
  return out;
}

std::size_t remove_leakage(Splits& splits) {
  // Pointers into train and dev, which erase_seen changes only for dev after dev's own pass.
  std::unordered_map<std::string, KeptCopy> seen;
  seen.reserve(splits.train.size() + splits.dev.size());
  for (const auto& e : splits.train) seen.emplace(normalize_text(e.text), KeptCopy{&e, "train"});
  splits.dev_leaked_into_train += erase_seen(splits.dev, "dev", seen, splits);
  for (const auto& e : splits.dev) seen.emplace(normalize_text(e.text), KeptCopy{&e, "dev"});
  std::size_t leaked = erase_seen(splits.test, "test", seen, splits);
  splits.leaked_into_train += leaked;
  return leaked;
}

}  // namespace tunecase
