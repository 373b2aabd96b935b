#pragma once

#include <string>
#include <string_view>

namespace tunecase {

// ASCII letters lower-cased, every other byte as it is, whatever the locale: for names that
// protocols and formats compare without case (HTTP field names, URL schemes and hosts,
// placeholder kinds, prompt keys).
inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// Whether `text` starts with `prefix` (given in lower case), ASCII letters compared without case.
inline bool ascii_starts_with_lower(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (ascii_lower(text[i]) != prefix[i]) return false;
  return true;
}

}  // namespace tunecase
