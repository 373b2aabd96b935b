#include "tunecase/privacy/custom_pattern.h"

#include <algorithm>
#include <stdexcept>

namespace tunecase {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_word(char c) {
  return is_digit(c) || is_alpha(c) || c == '_';
}

}  // namespace

CustomPattern::CustomPattern(std::string name, std::string_view pattern)
    : name_(std::move(name)), pattern_(pattern) {
  bool name_ok = !name_.empty() && name_.front() >= 'a' && name_.front() <= 'z';
  for (char c : name_) name_ok = name_ok && ((c >= 'a' && c <= 'z') || is_digit(c) || c == '_');
  if (!name_ok)
    throw std::invalid_argument("the name must be lower_snake_case (letters, digits, _)");
  const auto& builtins = builtin_pii_kinds();
  if (std::find(builtins.begin(), builtins.end(), name_) != builtins.end() || name_ == "custom")
    throw std::invalid_argument("the name is taken by a built-in kind; choose another");
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '+') {
      if (elements_.empty() || elements_.back().kind == Kind::kLiteral || elements_.back().repeat)
        throw std::invalid_argument("`+` must follow #, % or ? (write \\+ for a plus sign)");
      elements_.back().repeat = true;
    } else if (c == '\\') {
      if (i + 1 == pattern.size())
        throw std::invalid_argument("the pattern ends with `\\`; escape a character after it");
      elements_.push_back({Kind::kLiteral, pattern[++i]});
    } else if (c == '#') {
      elements_.push_back({Kind::kDigit});
    } else if (c == '%') {
      elements_.push_back({Kind::kLetter});
    } else if (c == '?') {
      elements_.push_back({Kind::kAlnum});
    } else {
      elements_.push_back({Kind::kLiteral, c});
    }
  }
  if (elements_.empty()) throw std::invalid_argument("the pattern is empty");
}

std::size_t CustomPattern::match_at(std::string_view t, std::size_t i) const {
  std::size_t p = i;
  for (const Element& e : elements_) {
    if (p >= t.size() || !e.accepts(t[p])) return std::string_view::npos;
    ++p;
    if (e.repeat)
      while (p < t.size() && e.accepts(t[p])) ++p;
  }
  return p;
}

bool CustomPattern::Element::accepts(char c) const {
  switch (kind) {
    case Kind::kDigit:
      return is_digit(c);
    case Kind::kLetter:
      return is_alpha(c);
    case Kind::kAlnum:
      return is_digit(c) || is_alpha(c);
    case Kind::kLiteral:
      return c == literal;
  }
  return false;
}

bool CustomPattern::may_match(std::string_view t) const {
  const Element& first = elements_.front();
  return std::any_of(t.begin(), t.end(), [&](char c) { return first.accepts(c); });
}

void CustomPattern::find(std::string_view t, std::vector<PiiSpan>& out) const {
  const Element& first = elements_.front();
  std::size_t i = 0;
  while (i < t.size()) {
    // No match starts where the first element does not: skip there without the boundary test
    // (a literal first element is found with memchr).
    if (first.kind == Kind::kLiteral) {
      i = t.find(first.literal, i);
      if (i == std::string_view::npos) return;
    } else if (!first.accepts(t[i])) {
      ++i;
      continue;
    }
    bool boundary = i == 0 || !is_word(t[i]) || !is_word(t[i - 1]);
    if (boundary) {
      std::size_t e = match_at(t, i);
      bool end_ok =
          e != std::string_view::npos && (e == t.size() || !is_word(t[e - 1]) || !is_word(t[e]));
      if (end_ok) {
        out.push_back({i, e, name_});
        i = e;
        continue;
      }
    }
    ++i;
  }
}

}  // namespace tunecase
