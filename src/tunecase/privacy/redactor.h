#pragma once

// Redaction of personal data before a text leaves the machine (docs/privacy.md). Each match is
// replaced by a typed placeholder, <EMAIL_1>, <CARD_2>, <EMPLOYEE_ID_1>, numbered per kind in
// order of first appearance. One PlaceholderMap spans one request, so the same value gets the same
// placeholder in the system prompt's examples and in the ticket, and a model still sees that two
// mentions are the same person; across requests numbers restart, so nothing links requests.
//
// What a caller may rely on: the redacted text holds no span any detector finds (placeholders
// are never matched), redacting twice changes nothing, and the placeholder map is the only place
// the raw values live; it is never written anywhere.

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tunecase/privacy/custom_pattern.h"
#include "tunecase/privacy/detectors.h"

namespace tunecase {

// Items redacted per kind ("email" -> 3): distinct values, counted once per request.
using RedactionCounts = std::map<std::string, int64_t>;

void add_counts(RedactionCounts& into, const RedactionCounts& more);

// What to redact: built-in kinds (names of builtin_pii_kinds()) and custom patterns.
struct RedactionRules {
  std::vector<std::string> kinds;
  std::vector<CustomPattern> custom;

  bool empty() const { return kinds.empty() && custom.empty(); }
};

// Which byte pairs occur in a text, hashed into 4,096 bits: a value with a pair the text lacks
// cannot occur in it, so most of a map's values are ruled out without searching the text. A "may"
// is answered by a real search; a value of one byte always may.
class BytePairFilter {
 public:
  BytePairFilter() = default;
  explicit BytePairFilter(std::string_view text) {
    for (std::size_t i = 1; i < text.size(); ++i) {
      unsigned s = slot(text[i - 1], text[i]);
      bits_[s >> 6] |= uint64_t{1} << (s & 63);
    }
  }
  bool may_contain(std::string_view value) const {
    for (std::size_t i = 1; i < value.size(); ++i) {
      unsigned s = slot(value[i - 1], value[i]);
      if ((bits_[s >> 6] & (uint64_t{1} << (s & 63))) == 0) return false;
    }
    return true;
  }

 private:
  static unsigned slot(char a, char b) {
    return (static_cast<unsigned char>(a) * 67u + static_cast<unsigned char>(b)) & 4095u;
  }
  std::array<uint64_t, 64> bits_{};
};

// Value -> placeholder within one request. A map may sit on a base map that outlives it (the
// placeholders of the part of a prompt that repeats from request to request): it answers the
// base's values with the base's placeholders and numbers its own after the base's, without a copy
// of the base. Only values first seen in this map are its own.
class PlaceholderMap {
 public:
  PlaceholderMap() = default;
  explicit PlaceholderMap(const PlaceholderMap* base) : base_(base) {}

  // The placeholder of `value` of `kind`, made on first sight: "<EMAIL_1>", numbered past any
  // reserved one.
  const std::string& placeholder(const std::string& kind, std::string_view value);
  // A placeholder the text already holds as written ("<EMAIL_1>" typed by a user): no value is
  // given it, so two addresses are never told to the model as one.
  void reserve(std::string_view placeholder) { reserved_.emplace(placeholder); }
  // Distinct values per kind seen so far, the base's included.
  RedactionCounts counts() const;
  // (kind, value) of every placeholder made so far, the base's included. Raw values: never log
  // or store them.
  std::vector<std::pair<std::string, std::string>> values() const;
  // Calls f(kind, value) for every value, the base's first, without copying them.
  template <typename F>
  void for_each_value(F&& f) const {
    if (base_ != nullptr) base_->for_each_value(f);
    for_each_own_value(f);
  }
  // Calls f(kind, n) for the kinds of the values first seen in this map, n of each.
  template <typename F>
  void for_each_own_count(F&& f) const {
    for (const auto& [kind, n] : next_) f(kind, n);
  }
  // Calls f(kind, value) for the values first seen in this map (not in its base).
  template <typename F>
  void for_each_own_value(F&& f) const {
    for (const auto& [key, placeholder] : placeholders_) f(key.first, key.second);
  }

 private:
  const std::string* find(const std::string& kind, std::string_view value) const;
  // Numbers of `kind` the base maps have given or skipped: this map's start past them.
  int64_t base_numbers(const std::string& kind) const;

  // Orders (kind, value) keys, and looks them up by string_views without making strings.
  struct KeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      std::string_view ak(a.first), bk(b.first);
      if (ak != bk) return ak < bk;
      return std::string_view(a.second) < std::string_view(b.second);
    }
  };

  const PlaceholderMap* base_ = nullptr;
  std::map<std::pair<std::string, std::string>, std::string, KeyLess> placeholders_;
  std::map<std::string, int64_t, std::less<>> next_;     // own values per kind
  std::map<std::string, int64_t, std::less<>> skipped_;  // own numbers passed over (reserved)
  std::set<std::string, std::less<>> reserved_;
};

class Redactor {
 public:
  Redactor() = default;  // redacts nothing
  explicit Redactor(RedactionRules rules);

  bool enabled() const { return !rules_.empty(); }
  const RedactionRules& rules() const { return rules_; }

  // Every match of the enabled kinds, sorted, non-overlapping (earlier kinds of
  // builtin_pii_kinds() win an overlap, custom patterns come last). Text inside an existing
  // placeholder is never matched.
  std::vector<PiiSpan> detect(std::string_view text) const;
  // `text` with every match replaced by its placeholder from `map`, and every other occurrence
  // of a value the map holds (from this text or an earlier text of the same request).
  std::string redact(std::string_view text, PlaceholderMap& map) const;
  // With a map of its own (one text is one request).
  std::string redact(std::string_view text) const;
  // False when detect(text) must find nothing: outside the placeholders, the text lacks what
  // every match of every enabled kind contains (an '@', "://" or "www.", a digit, "::" or seven
  // colons, a byte a custom pattern can start with). One pass instead of every detector's.
  bool may_detect(std::string_view text) const;

 private:
  using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;
  // The same, given the text's placeholders (find_placeholders), found once per round.
  std::vector<PiiSpan> detect(std::string_view text, const Ranges& placeholders) const;
  bool may_detect(std::string_view text, const Ranges& placeholders) const;

  RedactionRules rules_;
  // A kind that is a number (card, IBAN, phone, IP) is enabled: those detectors read the text's
  // digit runs, and a digit outside the placeholders is enough for may_detect().
  bool reads_numbers_ = false;
};

// The placeholders in `text` (<EMAIL_1>, <EMPLOYEE_ID_2>) as [begin, end) ranges: what detect()
// leaves alone, and what the audit counts in an outbound body.
std::vector<std::pair<std::size_t, std::size_t>> find_placeholders(std::string_view text);

// Distinct placeholders per kind in each line of `text`, summed (kind lower-cased: "email",
// "employee_id"). A request body is one line (JSON); an uploaded training file is one line per
// example, each redacted with a numbering of its own.
RedactionCounts count_placeholders(std::string_view text);

}  // namespace tunecase
