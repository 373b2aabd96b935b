#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace tunecase {

// Near-duplicate texts: two texts whose sets of character 5-grams (of normalize_text, so case and
// whitespace do not count) have a Jaccard similarity at or above a threshold. Candidates come from
// MinHash signatures (64 values) cut into 16 bands of 4 (LSH): a pair at Jaccard 0.8 shares a
// band with probability 1 - (1 - 0.8^4)^16 > 0.999, at 0.5 with probability 0.64, so every pair
// reported has had its exact Jaccard computed on the full 5-gram sets; the bands only decide which
// pairs are looked at. A band shared by very many texts (templated tickets) compares each text
// with at most kMaxComparedPerBucket of the others in that band, so the cost stays near linear;
// a large cluster is still found through its chain of near neighbours.
struct NearDuplicateOptions {
  double similarity = 0.8;  // Jaccard threshold, in (0, 1]
  int threads = 2;          // for the signatures
};

inline constexpr std::size_t kMaxComparedPerBucket = 32;

// One pair of texts by index, with the exact Jaccard similarity of their 5-gram sets.
struct TextPair {
  std::size_t a = 0, b = 0;  // within: a < b; across: a = reference, b = query
  double similarity = 0;
};

struct WithinDuplicates {
  std::size_t pairs = 0;           // pairs at or above the threshold that were found
  std::size_t clusters = 0;        // groups of texts linked by such pairs
  std::size_t redundant_rows = 0;  // texts in clusters beyond the first of each
  std::vector<bool> redundant;     // per text: true for every member of a cluster but its first
  std::vector<std::size_t> cluster_of;  // per text: its cluster's first text (itself when alone)
  std::vector<TextPair> examples;       // the most similar pairs found, up to `max_examples`
};

// Near-duplicates among `texts` (one split): over-weighting of what is written many times.
WithinDuplicates near_duplicates_within(const std::vector<std::string_view>& texts,
                                        const NearDuplicateOptions& options,
                                        std::size_t max_examples = 5);

// For each query text, the most similar reference text at or above the threshold (leakage from
// test into train): nullopt when none is.
std::vector<std::optional<TextPair>> near_duplicates_across(
    const std::vector<std::string_view>& reference, const std::vector<std::string_view>& queries,
    const NearDuplicateOptions& options);

// The exact Jaccard similarity of the character 5-gram sets of two texts (after normalize_text).
double shingle_jaccard(std::string_view a, std::string_view b);

}  // namespace tunecase
