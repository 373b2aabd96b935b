#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "tunecase/data/example.h"

namespace tunecase {

// How few-shot examples are drawn from the train split.
enum class ExampleSelection {
  kStratified,  // one example per label in turn, so that as many labels as possible are shown
  kRandom,      // a uniform sample
};

// Parses "stratified" | "random"; throws UserError naming the approach otherwise.
ExampleSelection parse_example_selection(const std::string& value, const std::string& approach);

// Picks `k` examples (fewer when train is smaller) from train, the same ones for the same seed,
// each label's rows taken in the order of a seeded hash of their text: rows appended to train
// change the examples only when one of them ranks first in its label.
// Stratified: labels are visited in a seeded order, one unused example of each per round, so
// with k >= number of labels every label present in train is shown. The result is interleaved
// (no long runs of one label), which keeps the model from copying the last label it saw.
Examples select_examples(const Examples& train, std::size_t k, ExampleSelection selection,
                         uint64_t seed);

}  // namespace tunecase
