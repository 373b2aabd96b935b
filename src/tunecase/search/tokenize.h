#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tunecase {

// Word tokens of a text for the local models and the BM25 index: the text is normalised
// (normalize_text), then split into words of letters, marks and digits of any script, with an
// apostrophe inside a word kept ("don't"; the typographic one read as it). A run of a script
// written without spaces (Han, Hiragana, Thai, Lao, Khmer, Myanmar) gives its overlapping
// character pairs, and a Katakana run is a word, as segmented_terms splits them. A run of symbols
// (emoji) is a token of its own. Everything else separates: spaces and punctuation of every
// script (“quotes”, «guillemets», em dashes, 。, ¿), and math and currency signs.
// kTokenizerVersion 3. Version 1 had split on ASCII only, so a word touching non-ASCII punctuation
// ("“refund”") was another word; version 2 kept a whole Chinese or Japanese clause as one word.
std::vector<std::string> word_tokens(std::string_view text);

// Whether a code point is a letter, mark or digit of any script (Unicode categories L*, M*, N*):
// what word_tokens keeps in a word, and the LLM answer reader too.
bool letter_mark_or_digit(int32_t cp);

// The version of word_tokens a model folder records (approach.json "tokenizer"): a model trained
// with another splits some texts into words it never saw.
inline constexpr int kTokenizerVersion = 3;

// Terms of a text for the monitor's drift detectors, which need words even where a script
// writes none apart. The text is normalised (normalize_text) and split at every character that
// is not a letter, mark or digit (Unicode categories, so "。" and "、" split as "." does);
// then:
// - Han, Hiragana, Thai, Lao, Khmer and Myanmar are written without spaces: a run of them gives
//   its overlapping character pairs ("新しい" -> "新し", "しい"; a run of one gives itself),
//   the usual way to index such text without a dictionary. `piece` is true for these.
// - A Katakana run stays whole ("スマートロック"): it is mostly one loanword or product name.
// - Any other letters and digits form words as word_tokens does. A run of symbols (emoji) is a
//   term of its own, so a flag's two regional indicators and a family emoji's members (the
//   joiners between them are dropped with the other invisible characters) stay one term.
struct Term {
  std::string text;
  bool piece = false;   // a character pair (or single character) of a script without spaces
  bool symbol = false;  // a run of symbols: an emoji, a flag, a family
};
std::vector<Term> segmented_terms(std::string_view text);

}  // namespace tunecase
