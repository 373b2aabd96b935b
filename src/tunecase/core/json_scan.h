#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace tunecase {

// Walks JSON text `s` from `from` and calls `at(i, c)` for each bracket ('{', '}', '[', ']')
// outside a string (escapes inside strings skipped); stops at the first call that returns true
// and gives its index, nullopt when none does. A scan of raw text, before or without a parse:
// the text need not be well-formed.
template <class At>
std::optional<std::size_t> find_bracket(std::string_view s, std::size_t from, At at) {
  bool in_string = false;
  for (std::size_t i = from; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if ((c == '{' || c == '}' || c == '[' || c == ']') && at(i, c)) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace tunecase
