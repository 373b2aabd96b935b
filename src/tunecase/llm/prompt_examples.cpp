#include "tunecase/llm/prompt_examples.h"

#include <algorithm>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/data/split.h"

namespace tunecase {
namespace {

// Indices ordered by a seeded hash of their text (ties: by place): an example's rank depends on
// its own text alone, so rows appended to train leave the chosen examples as they were unless a
// new row ranks first in its label. A shuffle seeded by the row count had changed every example
// when train grew, and every few-shot answer in the cache with them (the same rule orders the
// split: data/split.cpp).
void order_by_text(const Examples& train, std::vector<std::size_t>& indices, uint64_t seed) {
  // Another salt than the split's: with the split's own order each label's first train row was
  // the row just past its test and dev cut, and any growth of the label moved the cut, and the
  // example with it.
  order_by_text_hash(train, indices, mix64(seed ^ 0x5851f42d4c957f2dull));
}

std::vector<std::size_t> stratified_indices(const Examples& train, std::size_t k, uint64_t seed) {
  std::map<std::string, std::vector<std::size_t>> by_label;
  for (std::size_t i = 0; i < train.size(); ++i) by_label[train[i].label].push_back(i);
  // The labels' order, by a seeded hash of each label: a new label takes its place among them.
  std::vector<std::pair<uint64_t, std::vector<std::size_t>>> keyed;
  for (auto& [label, indices] : by_label) {
    order_by_text(train, indices, seed);
    keyed.emplace_back(mix64(fnv1a64(label) ^ mix64(seed ^ 0x9e3779b97f4a7c15ull)),
                       std::move(indices));
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::vector<std::size_t>> pools;
  for (auto& [key, indices] : keyed) pools.push_back(std::move(indices));
  std::vector<std::size_t> chosen;
  for (std::size_t round = 0; chosen.size() < k; ++round) {
    bool any = false;
    for (const auto& pool : pools) {
      if (round >= pool.size() || chosen.size() == k) continue;
      chosen.push_back(pool[round]);
      any = true;
    }
    if (!any) break;
  }
  return chosen;
}

}  // namespace

ExampleSelection parse_example_selection(const std::string& value, const std::string& approach) {
  if (value == "stratified") return ExampleSelection::kStratified;
  if (value == "random") return ExampleSelection::kRandom;
  throw UserError(fmt::format(
      "approach '{}': selection = \"{}\" is not known; use \"stratified\" or \"random\"", approach,
      value));
}

Examples select_examples(const Examples& train, std::size_t k, ExampleSelection selection,
                         uint64_t seed) {
  std::vector<std::size_t> chosen;
  if (selection == ExampleSelection::kStratified) {
    chosen = stratified_indices(train, k, seed);
  } else {
    std::vector<std::size_t> all(train.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    order_by_text(train, all, seed);
    all.resize(std::min(k, all.size()));
    chosen = std::move(all);
  }
  Examples out;
  out.reserve(chosen.size());
  for (std::size_t i : chosen) out.push_back(train[i]);
  return out;
}

}  // namespace tunecase
