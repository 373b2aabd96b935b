#pragma once

#include <string>
#include <string_view>

namespace tunecase {

// The whitespace trim() takes off by default: spaces, tabs, carriage returns and line feeds.
inline constexpr std::string_view kTrimmedWhitespace = " \t\r\n";

// `text` without the leading and trailing characters in `whitespace`; "" when nothing else is
// left. A view into `text`.
std::string_view trim(std::string_view text, std::string_view whitespace = kTrimmedWhitespace);

// The same, as a string of its own.
std::string trimmed(std::string_view text, std::string_view whitespace = kTrimmedWhitespace);

// True when UTF-8 `text` holds nothing but whitespace: ASCII's and Unicode's other White_Space
// characters (no-break space, the en/em/thin spaces, the ideographic space, line and paragraph
// separators, ...) and the characters that show nothing either: Unicode's default-ignorable ones
// (zero-width space, non-joiner and joiner, word joiner, byte-order mark, soft hyphen, bidi marks
// and isolates, the combining grapheme joiner, variation selectors, Hangul fillers), the
// Mongolian vowel separator and the Braille blank; and control characters (C0, DEL, C1).
bool blank(std::string_view text);

// UTF-8 `text` without the leading and trailing characters blank() counts (Unicode's spaces and
// the characters that show nothing, not only ASCII whitespace); "" when nothing else is left.
// A label cell of a no-break space, or "\u00a0billing", had been kept as a label of its own.
std::string trimmed_blank(std::string_view text);

}  // namespace tunecase
