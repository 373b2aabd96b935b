#include "tunecase/search/tokenize.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tunecase {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> texts(std::string_view text) {
  std::vector<std::string> out;
  for (Term& t : segmented_terms(text)) out.push_back(std::move(t.text));
  return out;
}

// Japanese has no spaces: a whole clause as one token was seen once and never again, by the
// drift detectors and the local models alike (a linear model scored 8 points under a character
// n-gram baseline on Japanese tickets). A Katakana loanword stays whole and Han/Hiragana runs
// give their character pairs; "、" and "。" split as punctuation does.
TEST(SegmentedTerms, TextWithoutSpacesIsCutIntoTerms) {
  EXPECT_THAT(word_tokens("新しいスマートロックの件、お願いします。"),
              ElementsAre("新し", "しい", "スマートロック", "の件", "お願", "願い", "いし", "しま",
                          "ます"));
  EXPECT_THAT(word_tokens("我的订单 iPhone充电器"),
              ElementsAre("我的", "的订", "订单", "iphone", "充电", "电器"));
  EXPECT_THAT(word_tokens("สวัสดี"), ElementsAre("สวั", "วัส", "สดี"));
  EXPECT_THAT(texts("新しいスマートロックの件、お願いします。"),
              ElementsAre("新し", "しい", "スマートロック", "の件", "お願", "願い", "いし", "しま",
                          "ます"));
  auto terms = segmented_terms("新しいスマートロック");
  ASSERT_EQ(terms.size(), 3u);
  EXPECT_TRUE(terms[0].piece);
  EXPECT_FALSE(terms[2].piece);
  // One character alone is a term; Thai (no spaces either) gives pairs too.
  EXPECT_THAT(texts("件"), ElementsAre("件"));
  // Thai's vowel signs are combining marks: each stays with the consonant it follows.
  EXPECT_THAT(texts("สวัสดี"), ElementsAre("สวั", "วัส", "สดี"));
}

// Spaced scripts read as words, as word_tokens reads them; the difference is Unicode
// punctuation and symbols: a dash or a typographic quote splits, an apostrophe inside a word
// (straight or typographic) does not, and an emoji is a term of its own.
TEST(SegmentedTerms, SpacedTextReadsAsWords) {
  EXPECT_THAT(texts("Don't charge me twice!"), ElementsAre("don't", "charge", "me", "twice"));
  EXPECT_THAT(texts("it don\u2019t work\u2014at all"),
              ElementsAre("it", "don\u2019t", "work", "at", "all"));
  EXPECT_THAT(texts("Kündigung für Müller"), ElementsAre("kündigung", "für", "müller"));
  // A letter and its combining accent (NFD) are one word, the same as its composed spelling.
  EXPECT_EQ(texts("Ku\u0308ndigung"), texts("Kündigung"));
  EXPECT_THAT(texts("app 🔥 crashed"), ElementsAre("app", "🔥", "crashed"));
  // A flag (two regional indicators) and a family (members joined by U+200D) are one term each.
  EXPECT_THAT(texts("sent \U0001F1E9\U0001F1EA \U0001F468\u200D\U0001F469\u200D\U0001F467 ok"),
              ElementsAre("sent", "\U0001F1E9\U0001F1EA", "\U0001F468\U0001F469\U0001F467", "ok"));
  EXPECT_TRUE(segmented_terms("\U0001F1E9\U0001F1EA")[0].symbol);
  EXPECT_THAT(texts("مرحبا iPhone 15"), ElementsAre("مرحبا", "iphone", "15"));
}

// Punctuation of any script separates words as ASCII punctuation does: "“refund”" had been a
// word of its own, so the retrieval model and the few-shot prompt matched it to nothing (and
// answered another label with confidence 1.0).
TEST(WordTokens, PunctuationOfAnyScriptSeparatesWords) {
  for (const char* text :
       {"i want a \"refund\"", "i want a “refund”", "i want a refund—now", "i want a «refund»",
        "i want a refund。", "i want a ¿refund?", "i want a ‘refund’", "i want a refund"}) {
    std::vector<std::string> words = word_tokens(text);
    EXPECT_THAT(words, ::testing::Contains("refund")) << text;
    for (const std::string& w : words)
      EXPECT_TRUE(w == "i" || w == "want" || w == "a" || w == "refund" || w == "now")
          << text << ": " << w;
  }
  // An apostrophe inside a word stays, the typographic one read as the straight one.
  EXPECT_THAT(word_tokens("Don't, don’t 'quoted'"), ElementsAre("don't", "don't", "quoted"));
  // Letters of every script, with their marks, and digits make words; an emoji is a token of its
  // own; math and currency signs separate.
  EXPECT_THAT(word_tokens("Kündigung für Kündigung"), ElementsAre("kündigung", "für", "kündigung"));
  EXPECT_THAT(word_tokens("refund😡😡 now"), ElementsAre("refund", "😡😡", "now"));
  EXPECT_THAT(word_tokens("€5+3=8 مرحبا"), ElementsAre("5", "3", "8", "مرحبا"));
  EXPECT_THAT(word_tokens("“” — 。"), ::testing::IsEmpty());
}

}  // namespace
}  // namespace tunecase
