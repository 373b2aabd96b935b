#pragma once

// Custom patterns of [privacy] (`custom = { employee_id = "EMP-######" }`): a small pattern
// language matched by a hand-written scanner, linear in the text. It is deliberately not a
// regular expression: no alternation and no backtracking, so no input can make it slow.
//
//   #   one ASCII digit          %   one ASCII letter          ?   one ASCII letter or digit
//   +   after #, % or ?: one or more of them (as many as there are; never gives any back)
//   \   the next character literally
//   anything else: itself (case-sensitive)
//
// A match that begins (ends) with a letter or digit must begin (end) at a word boundary, so
// "EMP-####" does not match inside "XEMP-12345".

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tunecase/privacy/detectors.h"

namespace tunecase {

class CustomPattern {
 public:
  // Throws std::invalid_argument with a message a user can act on for an empty pattern, a `+`
  // after no class, a trailing `\`, or a name that is not lower_snake_case or is a built-in kind.
  CustomPattern(std::string name, std::string_view pattern);

  const std::string& name() const { return name_; }
  const std::string& pattern() const { return pattern_; }
  // Appends every non-overlapping match, leftmost first, with kind = name().
  void find(std::string_view text, std::vector<PiiSpan>& out) const;
  // False when no match can be in `text`: no byte of it can start one.
  bool may_match(std::string_view text) const;

 private:
  enum class Kind { kLiteral, kDigit, kLetter, kAlnum };
  struct Element {
    Kind kind;
    char literal = 0;
    bool repeat = false;
    bool accepts(char c) const;
  };
  // End of a match starting at `i`, or npos.
  std::size_t match_at(std::string_view text, std::size_t i) const;

  std::string name_, pattern_;
  std::vector<Element> elements_;
};

}  // namespace tunecase
