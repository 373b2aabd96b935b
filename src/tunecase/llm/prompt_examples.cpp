#include "tunecase/llm/prompt_examples.h"

#include <map>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

// Fisher-Yates with our own index draws: std::shuffle's output is not specified by the
// standard, and the chosen examples must not change with the standard library.
template <typename T>
void seeded_shuffle(std::vector<T>& items, std::mt19937_64& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    std::size_t j = static_cast<std::size_t>(rng() % i);
    std::swap(items[i - 1], items[j]);
  }
}

std::vector<std::size_t> stratified_indices(const Examples& train, std::size_t k,
                                            std::mt19937_64& rng) {
  std::map<std::string, std::vector<std::size_t>> by_label;
  for (std::size_t i = 0; i < train.size(); ++i) by_label[train[i].label].push_back(i);
  std::vector<std::vector<std::size_t>> pools;
  for (auto& [label, indices] : by_label) {
    seeded_shuffle(indices, rng);
    pools.push_back(std::move(indices));
  }
  seeded_shuffle(pools, rng);
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
  std::mt19937_64 rng(seed);
  std::vector<std::size_t> chosen;
  if (selection == ExampleSelection::kStratified) {
    chosen = stratified_indices(train, k, rng);
  } else {
    std::vector<std::size_t> all(train.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    seeded_shuffle(all, rng);
    all.resize(std::min(k, all.size()));
    chosen = std::move(all);
  }
  Examples out;
  out.reserve(chosen.size());
  for (std::size_t i : chosen) out.push_back(train[i]);
  return out;
}

}  // namespace tunecase
