#include "tunecase/data/subsample.h"

#include <map>
#include <random>
#include <string>

#include "tunecase/data/shuffle.h"

namespace tunecase {

std::vector<std::size_t> stratified_order(const Examples& train, uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::map<std::string, std::vector<std::size_t>> by_label;
  for (std::size_t i = 0; i < train.size(); ++i) by_label[train[i].label].push_back(i);
  std::vector<std::vector<std::size_t>*> groups;
  for (auto& [label, items] : by_label) {
    seeded_shuffle(items, engine);
    groups.push_back(&items);
  }
  seeded_shuffle(groups, engine);
  std::vector<std::size_t> taken(groups.size(), 0), order;
  order.reserve(train.size());
  for (std::size_t g = 0; g < groups.size(); ++g) order.push_back((*groups[g])[taken[g]++]);
  while (order.size() < train.size()) {
    std::size_t next = groups.size();
    double best = 0;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      if (taken[g] == groups[g]->size()) continue;
      double priority =
          (static_cast<double>(taken[g]) + 0.5) / static_cast<double>(groups[g]->size());
      if (next == groups.size() || priority < best) next = g, best = priority;
    }
    order.push_back((*groups[next])[taken[next]++]);
  }
  return order;
}

Examples subsample(const Examples& train, const std::vector<std::size_t>& order, std::size_t n) {
  Examples out;
  for (std::size_t i = 0; i < n && i < order.size(); ++i) out.push_back(train[order[i]]);
  return out;
}

}  // namespace tunecase
