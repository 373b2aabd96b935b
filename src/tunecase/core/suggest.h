#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tunecase {

// Levenshtein distance (insertions, deletions and substitutions cost 1), one row at a time.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The same over code points: a misspelling counted in characters, not bytes.
std::size_t edit_distance(std::u32string_view a, std::u32string_view b);

// The candidate nearest to `word` for a "did you mean" hint: one equal but for letter case, else
// within a third of the word's length
// (at least 2 edits), else one sharing a stem of 5+ characters and three quarters of the word
// ("strategy" for "strategies"), else the only candidate that contains `word`. Empty when no
// candidate is close enough to be a useful suggestion.
std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates);

// Every candidate as near as nearest()'s by its spelling-slip rule: two labels one edit from the
// word ("account access" and "account-access" for "account_access") are both named, so that a
// person fixing the word does not pick one of two at random. Else nearest()'s alone, or none.
std::vector<std::string> nearest_all(std::string_view word,
                                     const std::vector<std::string>& candidates);

// "'a'", "'a' or 'b'", "'a', 'b' or 'c'": each name made visible().
std::string quoted_alternatives(const std::vector<std::string>& names);

// "; did you mean `x`?" or "" — the tail of an "unknown name" message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// `text` with the characters a reader cannot see or tell from a space written as \u{00A0}:
// control characters, no-break and other Unicode spaces, zero-width characters, soft hyphen and
// byte-order mark. For names in messages: "a b" with a no-break space reads "a\u{00A0}b".
std::string visible(std::string_view text);

// "'a', 'b', 'c' and 7 more": each name quoted (a name may hold a comma) and made visible(), at
// most `most`.
std::string quoted_list(const std::vector<std::string>& names, std::size_t most);

}  // namespace tunecase
