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
  std::string chosen;  // the label kept; "" when no label had a majority and the text was dropped
};

struct DedupResult {
  std::size_t duplicates_removed = 0;
  std::size_t label_conflicts = 0;              // texts with more than one label
  std::size_t ties_dropped = 0;                 // of them, with no majority label: dropped
  std::vector<LabelConflict> conflict_samples;  // the first 10, in file order
};

// Collapses examples whose normalize_text() is equal into the first of them, keeping file order;
// the copy kept takes the earliest time of its group (parse_data_time), so a time split does not
// depend on the order the file lists the copies in.
// When their labels differ, the majority label wins and the group counts as one label conflict;
// a group whose labels tie for the most is dropped whole (ties_dropped): keeping it under the
// label that sorts first trained a coin toss as a fact.
DedupResult deduplicate(Examples& examples);

}  // namespace tunecase
