#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>

#include "tunecase/data/example.h"

namespace tunecase {

// The most frequent label of a split: always answering it is the floor a classifier should
// clear (on imbalanced data a high accuracy may be little more than that).
struct MajorityLabel {
  std::string label;
  std::size_t count = 0;  // examples carrying it
  double share = 0;       // count / examples looked at: the accuracy of always answering it
};

// Of the first `n` examples (all of them by default); a tie goes to the label first in byte
// order. nullopt when there is none.
std::optional<MajorityLabel> majority_label(
    const Examples& examples, std::size_t n = std::numeric_limits<std::size_t>::max());

}  // namespace tunecase
