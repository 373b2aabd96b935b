#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "tunecase/data/example.h"

namespace tunecase {

// One text that was written down with more than one label.
struct LabelConflict {
  std::string text;                                 // as first written
  std::map<std::string, std::size_t> label_counts;  // label -> rows carrying it
  std::string chosen;                               // the label kept
};

struct DedupResult {
  std::size_t duplicates_removed = 0;
  std::size_t label_conflicts = 0;              // texts with more than one label
  std::vector<LabelConflict> conflict_samples;  // the first 10, in file order
};

// Collapses examples whose normalize_text() is equal into the first of them, keeping file order.
// When their labels differ, the majority label wins (ties: the lexicographically smallest label)
// and the group counts as one label conflict.
DedupResult deduplicate(Examples& examples);

}  // namespace tunecase
