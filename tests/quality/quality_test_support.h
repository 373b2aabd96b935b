#pragma once

#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "tunecase/data/example.h"

namespace tunecase::testing {

// A labelled dataset whose true labels a linear model can learn almost perfectly: each label has
// its own 40 words, every text takes 6 of them plus 3 words shared by all labels. `flip_rate` of
// the rows (chosen at random, seeded) get a different label drawn uniformly; `flipped` marks them.
struct NoisyData {
  Examples rows;
  std::vector<bool> flipped;
};

inline NoisyData noisy_data(std::size_t rows, int labels, double flip_rate, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> word(0, 39), shared(0, 19), label(0, labels - 1);
  std::bernoulli_distribution flip(flip_rate);
  NoisyData d;
  for (std::size_t i = 0; i < rows; ++i) {
    int truth = static_cast<int>(i % static_cast<std::size_t>(labels));
    std::string text;
    for (int w = 0; w < 6; ++w)
      text += "w" + std::to_string(truth) + "x" + std::to_string(word(rng)) + " ";
    for (int w = 0; w < 3; ++w) text += "common" + std::to_string(shared(rng)) + " ";
    text += "n" + std::to_string(i);  // keeps every text distinct
    int given = truth;
    bool flipped = flip(rng);
    if (flipped) {
      while (given == truth) given = label(rng);
    }
    Example e;
    e.text = text;
    e.label = "label_" + std::to_string(given);
    e.id = "row" + std::to_string(i);
    d.rows.push_back(std::move(e));
    d.flipped.push_back(flipped);
  }
  return d;
}

}  // namespace tunecase::testing
