#include "tunecase/core/suggest.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace tunecase {

namespace {

template <class Text>
std::size_t levenshtein(const Text& a, const Text& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  return levenshtein(a, b);
}

std::size_t edit_distance(std::u32string_view a, std::u32string_view b) {
  return levenshtein(a, b);
}

std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  // A case slip ("BILLING" for "billing") first: as edits every changed letter counts.
  auto same_but_case = [word](std::string_view c) {
    return c.size() == word.size() &&
           std::equal(c.begin(), c.end(), word.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  };
  for (const auto& c : candidates)
    if (same_but_case(c)) return c;
  // The spelling slips below are measured without letter case: "BILING" is one letter from
  // "billing", not seven.
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
  };
  const std::string folded = lower(word);
  std::vector<std::string> folded_candidates;
  for (const auto& c : candidates) folded_candidates.push_back(lower(c));
  std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const std::string& c = candidates[i];
    std::size_t d = edit_distance(folded, folded_candidates[i]);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (best) return best;
  // A different ending of the same stem ("strategy" for "strategies").
  std::size_t best_prefix = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const std::string& c = folded_candidates[i];
    std::size_t n = 0;
    while (n < folded.size() && n < c.size() && folded[n] == c[n]) ++n;
    if (n > best_prefix) best_prefix = n, best = candidates[i];
  }
  if (best_prefix >= 5 && 4 * best_prefix >= 3 * word.size()) return best;
  best.reset();
  std::vector<std::string> containing;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (word.size() >= 3 && folded_candidates[i].find(folded) != std::string::npos)
      containing.push_back(candidates[i]);
  }
  if (containing.size() == 1) return containing.front();
  return std::nullopt;
}

std::vector<std::string> nearest_all(std::string_view word,
                                     const std::vector<std::string>& candidates) {
  std::optional<std::string> one = nearest(word, candidates);
  if (!one) return {};
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
  };
  const std::string folded = lower(word);
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  const std::size_t best = edit_distance(folded, lower(*one));
  if (best > limit || lower(*one) == folded) return {*one};
  std::vector<std::string> all;
  for (const auto& c : candidates)
    if (edit_distance(folded, lower(c)) == best) all.push_back(c);
  return all.empty() ? std::vector<std::string>{*one} : all;
}

std::string quoted_alternatives(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += "'" + visible(names[i]) + "'";
  }
  return out;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  auto n = nearest(word, candidates);
  return n ? fmt::format("; did you mean `{}`?", *n) : std::string();
}

namespace {

bool hidden(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0xAD || c == 0x1680 || c == 0x180E ||
         (c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) ||
         (c >= 0x205F && c <= 0x2064) || c == 0x3000 || c == 0xFEFF;
}

}  // namespace

std::string visible(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const std::size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    char32_t c = n == 1 ? b : b & (0xFF >> (n + 1));
    bool whole = i + n <= text.size();
    for (std::size_t k = 1; whole && k < n; ++k) {
      const auto cont = static_cast<unsigned char>(text[i + k]);
      whole = (cont & 0xC0) == 0x80;
      c = (c << 6) | (cont & 0x3F);
    }
    if (!whole) {  // not UTF-8 here: the byte as is
      out += text[i++];
      continue;
    }
    if (hidden(c))
      out += fmt::format("\\u{{{:04X}}}", static_cast<uint32_t>(c));
    else
      out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

std::string quoted_list(const std::vector<std::string>& names, std::size_t most) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < most; ++i)
    out += fmt::format("{}'{}'", i ? ", " : "", visible(names[i]));
  if (names.size() > most) out += fmt::format(" and {} more", names.size() - most);
  return out;
}

}  // namespace tunecase
