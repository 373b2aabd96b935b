#pragma once

#include <string>
#include <string_view>

namespace tunecase {

// The form two texts are compared in: Unicode NFKC, case-folded, default-ignorable characters
// (zero-width spaces, the byte-order mark, soft hyphens) dropped, whitespace runs collapsed to
// one space, trimmed. Used for de-duplication, leakage checks and tokenisation.
// Input must be valid UTF-8 (the readers guarantee it).
std::string normalize_text(std::string_view text);

// A label's spelling with what only separates its words left out: normalize_text (case, Unicode
// form, spacing), then every run of separators between two letters or digits dropped (dashes,
// connectors, spaces, '.', '/', '\\', ':', ',', ';', '|', '+', a middle dot, a bullet, a minus
// sign, a division slash), and invisible characters anywhere. "bug_report", "Bug-Report",
// "bug\u2013report" and "bugreport" have one key; "C++", "C#" and "C" three.
std::string label_key(std::string_view label);

// `text` in Unicode NFC: canonically equivalent spellings (a letter and its combining accent, as
// macOS and some exports write "u\u0308", against the precomposed "\u00fc") become the same bytes.
// Nothing else changes: case, compatibility forms (full-width letters) and spaces stay as
// written. ASCII and text that is not UTF-8 are returned as they are.
std::string nfc_text(std::string_view text);

// `text` with each character lower-cased alone (no normalisation, no full case folding: "Straße"
// is "straße", not "strasse"); bytes that are not UTF-8 are kept as they are.
std::string lower_text(std::string_view text);

// The length of the longest prefix of `text` of at most `max_bytes` bytes that ends between two
// user-perceived characters (Unicode grapheme clusters): never inside a UTF-8 sequence, nor
// between a letter and its combining accent, nor inside an emoji sequence. For cutting texts in
// reports. `text` of at most `max_bytes` bytes gives its size.
std::size_t grapheme_cut(std::string_view text, std::size_t max_bytes);

// True when `bytes` is well-formed UTF-8.
bool is_valid_utf8(std::string_view bytes);

}  // namespace tunecase
