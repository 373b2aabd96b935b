#pragma once

// Hand-written scanners for the built-in kinds of personal data. Each is one linear pass over the
// bytes, or over the starts of their digit runs for the kinds that are numbers (no regular
// expressions: std::regex backtracks and allocates per match, which would cost more than the rest
// of an evaluation; see docs/privacy.md). They read ASCII structure only, so any UTF-8 text is
// safe input: a byte above 0x7F is never part of a match and counts as a word boundary.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tunecase {

// One match: text[begin, end) is of `kind` ("email", "phone", "card", "iban", "ip", "url" or a
// custom pattern's name).
struct PiiSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string kind;

  bool operator==(const PiiSpan&) const = default;
};

// The built-in kinds, in the order they claim overlapping text (a URL holding an e-mail address
// is one URL; an IBAN is not also read as a phone number).
const std::vector<std::string>& builtin_pii_kinds();

// Where the runs of ASCII digits in a text begin, in order. A card, an IBAN, a phone number and
// an IPv4 address each start at one of them (or one or two bytes before it: "+44", "NL02"), so
// their detectors visit these positions instead of every byte. Built once per text and shared by
// the detectors that read it.
class DigitRuns {
 public:
  explicit DigitRuns(std::string_view text);
  const std::vector<uint32_t>& starts() const { return starts_; }

 private:
  std::vector<uint32_t> starts_;
};

// Appends the matches of one built-in kind; `kind` must be one of builtin_pii_kinds(). `runs`
// must have been built from `text`.
void find_pii(std::string_view kind, std::string_view text, std::vector<PiiSpan>& out);
void find_pii(std::string_view kind, std::string_view text, const DigitRuns& runs,
              std::vector<PiiSpan>& out);

// The detectors, one per kind:
// - email: local@domain.tld, the domain with at least one dot and a top-level part of 2+ letters.
// - url: http://, https:// or www. up to the next space, trailing punctuation left out.
// - ip: IPv4 dotted quads (each part 0..255) and IPv6 in full or :: form.
// - card: 13 to 19 digits, single spaces or dashes allowed between groups, passing Luhn.
// - iban: country letters, two check digits and 11..30 letters or digits (spaces allowed between
//   groups), upper case, passing the mod-97 check.
// - phone: +country and 8..15 digits; or 9..15 digits in 2+ groups (spaces, dashes, dots,
//   parentheses); or one run of 10..11 digits starting with 0. Dates (2024-01-15, 15.01.2024)
//   are not phones.
void find_emails(std::string_view text, std::vector<PiiSpan>& out);
// Whether `text` holds "www." in any case (the URL detector's start besides a scheme).
bool contains_www(std::string_view text);
void find_urls(std::string_view text, std::vector<PiiSpan>& out);
void find_ips(std::string_view text, const DigitRuns& runs, std::vector<PiiSpan>& out);
void find_cards(std::string_view text, const DigitRuns& runs, std::vector<PiiSpan>& out);
void find_ibans(std::string_view text, const DigitRuns& runs, std::vector<PiiSpan>& out);
void find_phones(std::string_view text, const DigitRuns& runs, std::vector<PiiSpan>& out);

}  // namespace tunecase
