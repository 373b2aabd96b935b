#include "tunecase/core/trim.h"

#include <utf8proc.h>

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
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
      ++i;
      continue;
    }
    // Control characters show nothing either (an escape alone had been a text, and a label).
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      ++i;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x80) return false;
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n =
        utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + i),
                         static_cast<utf8proc_ssize_t>(text.size() - i), &cp);
    if (n <= 0) return false;
    // Unicode's spaces and separators, what it says a renderer shows nothing for (its
    // Default_Ignorable_Code_Point: zero-width space and joiners, bidi marks and isolates, the
    // combining grapheme joiner, variation selectors, the byte-order mark, the soft hyphen, the
    // Hangul fillers, ...), the next line U+0085, and the Braille blank. Bidi marks alone had been
    // classified (and logged) as if they were a text.
    const utf8proc_category_t category = utf8proc_category(cp);
    const bool shows_nothing =
        category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
        category == UTF8PROC_CATEGORY_ZP || category == UTF8PROC_CATEGORY_CC ||  // C1 controls
        utf8proc_get_property(cp)->ignorable || cp == 0x0085 || cp == 0x180e || cp == 0x2800;
    if (!shows_nothing) return false;
    i += static_cast<std::size_t>(n);
  }
  return true;
}

std::string trimmed_blank(std::string_view text) {
  std::size_t begin = 0, end = 0;  // the first and past the last character not blank
  bool found = false;
  for (std::size_t i = 0; i < text.size();) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n =
        utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + i),
                         static_cast<utf8proc_ssize_t>(text.size() - i), &cp);
    const std::size_t size = n > 0 ? static_cast<std::size_t>(n) : 1;
    if (!blank(text.substr(i, size))) {
      if (!found) begin = i;
      found = true;
      end = i + size;
    }
    i += size;
  }
  return found ? std::string(text.substr(begin, end - begin)) : std::string();
}

}  // namespace tunecase
