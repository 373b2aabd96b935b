#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/data/example.h"

namespace tunecase {

// Labels written in more than one way that are equal once trimmed, case-folded and put in
// Unicode NFKC (normalize_text): "BILLING", "billing" and "Billing" are one label spelt three ways.
struct LabelVariantGroup {
  std::string canonical;  // the most frequent spelling (ties: the smallest in byte order)
  std::vector<std::pair<std::string, std::size_t>> spellings;  // spelling -> rows, most first
};

// The groups of `sets` (every split or file, counted together) with two or more spellings, in
// order of their canonical spelling.
std::vector<LabelVariantGroup> find_label_variants(const std::vector<const Examples*>& sets);

// Rewrites every label of `examples` that is a variant in `groups` to the group's canonical
// spelling; returns how many rows changed.
std::size_t apply_label_variants(const std::vector<LabelVariantGroup>& groups, Examples& examples);

// [{"label": canonical, "spellings": {"BILLING": 40, "billing": 3}}, ...]
nlohmann::json label_variants_json(const std::vector<LabelVariantGroup>& groups);

}  // namespace tunecase
