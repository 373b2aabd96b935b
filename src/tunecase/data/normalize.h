#pragma once

#include <string>
#include <string_view>

namespace tunecase {

// The form two texts are compared in: Unicode NFKC, case-folded, default-ignorable characters
// (zero-width spaces, the byte-order mark, soft hyphens) dropped, whitespace runs collapsed to
// one space, trimmed. Used for de-duplication, leakage checks and tokenisation.
// Input must be valid UTF-8 (the readers guarantee it).
std::string normalize_text(std::string_view text);

// `text` with each character lower-cased alone (no normalisation, no full case folding: "Straße"
// is "straße", not "strasse"); bytes that are not UTF-8 are kept as they are.
std::string lower_text(std::string_view text);

// True when `bytes` is well-formed UTF-8.
bool is_valid_utf8(std::string_view bytes);

}  // namespace tunecase
