#include "tunecase/data/label_variants.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "tunecase/data/normalize.h"

namespace tunecase {
namespace {

// The form two spellings of one label share: normalised text (case, width, spacing), and a
// whole number written with a decimal part ("1.0", "2.00", as spreadsheets and pandas export a
// numeric column) as the whole number, as the JSONL reader reads 1.0.
std::string label_form(const std::string& spelling) {
  std::string form = normalize_text(spelling);
  const auto dot = form.find('.');
  if (dot == std::string::npos || dot == 0) return form;
  std::size_t digits = form[0] == '-' ? 1 : 0;
  if (digits == dot) return form;
  for (std::size_t i = digits; i < dot; ++i)
    if (form[i] < '0' || form[i] > '9') return form;
  if (dot + 1 == form.size()) return form;
  for (std::size_t i = dot + 1; i < form.size(); ++i)
    if (form[i] != '0') return form;
  return form.substr(0, dot);
}

}  // namespace

std::vector<LabelVariantGroup> find_label_variants(const std::vector<const Examples*>& sets) {
  std::map<std::string, std::size_t> counts;  // spelling -> rows
  for (const Examples* set : sets)
    for (const auto& e : *set) ++counts[e.label];
  std::map<std::string, LabelVariantGroup> by_form;  // normalised form -> its spellings
  for (const auto& [spelling, n] : counts)
    by_form[label_form(spelling)].spellings.emplace_back(spelling, n);
  std::vector<LabelVariantGroup> groups;
  for (auto& [form, group] : by_form) {
    if (group.spellings.size() < 2) continue;
    // Spellings arrive in byte order, so a stable sort by count leaves ties in byte order.
    std::stable_sort(group.spellings.begin(), group.spellings.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    group.canonical = group.spellings.front().first;
    groups.push_back(std::move(group));
  }
  std::sort(groups.begin(), groups.end(),
            [](const auto& a, const auto& b) { return a.canonical < b.canonical; });
  return groups;
}

std::size_t apply_label_variants(const std::vector<LabelVariantGroup>& groups, Examples& examples) {
  std::unordered_map<std::string, const std::string*> to_canonical;
  for (const auto& g : groups)
    for (const auto& [spelling, n] : g.spellings)
      if (spelling != g.canonical) to_canonical[spelling] = &g.canonical;
  if (to_canonical.empty()) return 0;
  std::size_t changed = 0;
  for (auto& e : examples) {
    auto it = to_canonical.find(e.label);
    if (it == to_canonical.end()) continue;
    e.label = *it->second;
    ++changed;
  }
  return changed;
}

nlohmann::json label_variants_json(const std::vector<LabelVariantGroup>& groups) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& g : groups) {
    nlohmann::json spellings = nlohmann::json::object();
    for (const auto& [spelling, n] : g.spellings) spellings[spelling] = n;
    out.push_back({{"label", g.canonical}, {"spellings", spellings}});
  }
  return out;
}

}  // namespace tunecase
