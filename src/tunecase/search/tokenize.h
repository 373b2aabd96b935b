#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tunecase {

// Word tokens of a text for the local models and the BM25 index: the text is normalised
// (normalize_text), then split on every byte that is not an ASCII letter or digit, an apostrophe
// inside a word, or part of a multi-byte UTF-8 character (so non-Latin words stay whole).
std::vector<std::string> word_tokens(std::string_view text);

}  // namespace tunecase
