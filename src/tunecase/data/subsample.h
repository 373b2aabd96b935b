#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tunecase/data/example.h"

namespace tunecase {

// A seeded order of `train` whose every prefix is a stratified subsample: first one example of
// each label (labels in a seeded order, so a model sees every label as soon as n >= labels),
// then the rest by the largest remainder (Webster: next is the label with the smallest
// (taken + 0.5) / count), each label's examples shuffled. The subsample of size n is the first n
// items, so the sizes of one seed are nested. Same order on every platform for the same seed.
std::vector<std::size_t> stratified_order(const Examples& train, uint64_t seed);

// The first `n` examples of the order (all of train when n >= its size).
Examples subsample(const Examples& train, const std::vector<std::size_t>& order, std::size_t n);

}  // namespace tunecase
