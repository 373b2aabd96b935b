#include "tunecase/data/majority.h"

#include <algorithm>
#include <map>

namespace tunecase {

std::optional<MajorityLabel> majority_label(const Examples& examples, std::size_t n) {
  n = std::min(n, examples.size());
  if (n == 0) return std::nullopt;
  std::map<std::string, std::size_t> counts;
  for (std::size_t i = 0; i < n; ++i) ++counts[examples[i].label];
  auto top = std::max_element(counts.begin(), counts.end(),
                              [](const auto& a, const auto& b) { return a.second < b.second; });
  return MajorityLabel{top->first, top->second,
                       static_cast<double>(top->second) / static_cast<double>(n)};
}

}  // namespace tunecase
