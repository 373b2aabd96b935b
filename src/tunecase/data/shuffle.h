#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace tunecase {

// A uniform integer in [0, bound) from the engine's raw output, by rejecting the top
// (2^64 mod bound) values. std::uniform_int_distribution is not specified bit-for-bit, so
// splits built on it would differ between standard libraries; this does not.
inline uint64_t uniform_below(std::mt19937_64& engine, uint64_t bound) {
  const uint64_t threshold = (uint64_t{0} - bound) % bound;  // 2^64 mod bound
  for (;;) {
    uint64_t r = engine();
    if (r >= threshold) return r % bound;
  }
}

// Fisher-Yates shuffle, identical on every platform for the same engine state.
template <class T>
void seeded_shuffle(std::vector<T>& items, std::mt19937_64& engine) {
  for (std::size_t i = items.size(); i > 1; --i) {
    std::size_t j = static_cast<std::size_t>(uniform_below(engine, i));
    using std::swap;
    swap(items[i - 1], items[j]);
  }
}

}  // namespace tunecase
