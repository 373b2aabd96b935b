#include "tunecase/data/dedup.h"

#include <unordered_map>

#include "tunecase/core/utc_time.h"
#include "tunecase/data/normalize.h"

namespace tunecase {
namespace {

constexpr std::size_t kMaxConflictSamples = 10;

// The label more rows carry than any other, or "" when two or more share the most.
std::string majority_label(const std::map<std::string, std::size_t>& counts) {
  const std::string* best = nullptr;
  std::size_t best_count = 0;
  bool tie = false;
  for (const auto& [label, count] : counts) {
    if (count > best_count) {
      best = &label;
      best_count = count;
      tie = false;
    } else if (count == best_count) {
      tie = true;
    }
  }
  return best && !tie ? *best : std::string();
}

}  // namespace

DedupResult deduplicate(Examples& examples) {
  DedupResult result;
  std::unordered_map<std::string, std::size_t> first_of;  // normalised text -> first index
  first_of.reserve(examples.size());
  // Label counts only for texts seen more than once, keyed by the first index (file order).
  std::map<std::size_t, std::map<std::string, std::size_t>> group_labels;
  std::vector<bool> removed(examples.size(), false);
  for (std::size_t i = 0; i < examples.size(); ++i) {
    auto [it, inserted] = first_of.try_emplace(normalize_text(examples[i].text), i);
    if (inserted) continue;
    removed[i] = true;
    ++result.duplicates_removed;
    // The copy kept is dated by the earliest copy, wherever the file lists it: a time split had
    // depended on the export's row order (newest first put texts first written months earlier
    // into the test period).
    Example& kept = examples[it->second];
    if (!examples[i].time.empty()) {
      const auto earlier = parse_data_time(examples[i].time);
      const auto kept_time = kept.time.empty() ? std::nullopt : parse_data_time(kept.time);
      if (earlier && (!kept_time || *earlier < *kept_time)) kept.time = examples[i].time;
    }
    auto& counts = group_labels[it->second];
    if (counts.empty()) counts[examples[it->second].label] = 1;
    ++counts[examples[i].label];
  }

  for (auto& [first, counts] : group_labels) {
    if (counts.size() < 2) continue;
    ++result.label_conflicts;
    std::string chosen = majority_label(counts);
    if (chosen.empty()) {
      // No majority: which label is right is unknown, so the text is dropped rather than kept
      // under whichever label sorts first.
      removed[first] = true;
      ++result.ties_dropped;
    } else {
      examples[first].label = chosen;
    }
    if (result.conflict_samples.size() < kMaxConflictSamples) {
      result.conflict_samples.push_back({examples[first].text, std::move(counts), chosen});
    }
  }

  std::size_t kept = 0;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    if (removed[i]) continue;
    if (kept != i) examples[kept] = std::move(examples[i]);
    ++kept;
  }
  examples.resize(kept);
  return result;
}

}  // namespace tunecase
