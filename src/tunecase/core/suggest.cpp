#include "tunecase/core/suggest.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace tunecase {

std::size_t edit_distance(std::string_view a, std::string_view b) {
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
  std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (best) return best;
  // A different ending of the same stem ("strategy" for "strategies").
  std::size_t best_prefix = 0;
  for (const auto& c : candidates) {
    std::size_t n = 0;
    while (n < word.size() && n < c.size() && word[n] == c[n]) ++n;
    if (n > best_prefix) best_prefix = n, best = c;
  }
  if (best_prefix >= 5 && 4 * best_prefix >= 3 * word.size()) return best;
  best.reset();
  std::vector<std::string> containing;
  for (const auto& c : candidates) {
    if (word.size() >= 3 && c.find(word) != std::string::npos) containing.push_back(c);
  }
  if (containing.size() == 1) return containing.front();
  return std::nullopt;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  auto n = nearest(word, candidates);
  return n ? fmt::format("; did you mean `{}`?", *n) : std::string();
}

std::string quoted_list(const std::vector<std::string>& names, std::size_t most) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < most; ++i)
    out += fmt::format("{}'{}'", i ? ", " : "", names[i]);
  if (names.size() > most) out += fmt::format(" and {} more", names.size() - most);
  return out;
}

}  // namespace tunecase
