#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tunecase {

// The label an LLM answer maps to, and how it was found (for reports and debugging).
struct ParsedLabel {
  std::string label;   // one of the label set, or "" when the answer is invalid
  std::string method;  // json | exact | normalized | stripped | substring | edit_distance |
                       // invalid; "json_<method>" when a JSON "label" needed a looser step
  bool valid() const { return !label.empty(); }
};

// Maps a free-text answer to exactly one label, trying the strictest reading first:
//   1. a JSON object with a string field "label" (bare, inside ```json fences or in prose);
//   2. the whole answer (then its first non-empty line) equal to a label;
//   3. equal ignoring case, spaces and punctuation ("Technical issue" == "technical_issue");
//   4. the same after dropping a "Label:", "Category:", "Class:", "Intent:" or "Answer:" prefix;
//   5. the answer (without such a prefix first) names exactly one label (or is a prefix of
//      exactly one label, 3+ characters); a label inside a longer one it names yields to it
//      only where the answer writes it nowhere else ("billing, not a billing dispute" names
//      two labels: invalid);
//   6. a misspelling of exactly one label (again without the prefix first): as many words,
//      within edit distance 2 (1 when the shorter of the two is 5 letters, none below 5 but
//      a plural "s" or "es").
// Anything else is invalid (label ""): it counts as a wrong answer, never as a guess. Leading
// <think>...</think> blocks (a reasoning model's) are dropped first; one never closed leaves no
// answer (invalid).
ParsedLabel parse_label(std::string_view answer, const std::vector<std::string>& labels);

// The JSON string `text` starts with (after spaces), decoded, and the length of `text` up to its
// closing quote; nullopt when it does not start with one. A prompt whose labels need it writes
// them so (labels_need_quotes), and a model answers with one.
struct LeadingString {
  std::string value;
  std::size_t end = 0;
};
std::optional<LeadingString> leading_json_string(std::string_view text);

}  // namespace tunecase
