#include "tunecase/core/trim.h"

namespace tunecase {

std::string_view trim(std::string_view text, std::string_view whitespace) {
  std::size_t begin = text.find_first_not_of(whitespace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(whitespace) - begin + 1);
}

std::string trimmed(std::string_view text, std::string_view whitespace) {
  return std::string(trim(text, whitespace));
}

bool blank(std::string_view text) {
  // The UTF-8 encodings of the non-ASCII characters counted as blank.
  // Unicode's White_Space, then what shows nothing either: the zero-width space, non-joiner and
  // joiner, the word joiner and byte-order mark, the soft hyphen, the Mongolian vowel separator,
  // and the Hangul and Braille blanks.
  static constexpr std::string_view kWide[] = {
      "\u0085", "\u00a0", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004",
      "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u2028", "\u2029",
      "\u202f", "\u205f", "\u3000", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
      "\u00ad", "\u180e", "\u3164", "\uffa0", "\u115f", "\u1160", "\u2800"};
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
      ++i;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x80) return false;
    std::size_t matched = 0;
    for (std::string_view w : kWide)
      if (text.substr(i, w.size()) == w) matched = w.size();
    if (matched == 0) return false;
    i += matched;
  }
  return true;
}

}  // namespace tunecase
