#include "tunecase/approaches/tfidf.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(CharWb, PadsTheWordAndCutsEveryLength) {
  // scikit-learn's char_wb on "abc", ngram_range (2, 3).
  EXPECT_THAT(char_wb_ngrams("abc", {2, 3}),
              UnorderedElementsAre(" a", "ab", "bc", "c ", " ab", "abc", "bc "));
}

TEST(CharWb, WordShorterThanMinCountsOnceWhole) {
  EXPECT_THAT(char_wb_ngrams("a", {4, 5}), ElementsAre(" a "));
  // Exactly as long as an n: the whole padded word once, no longer n-gram.
  EXPECT_THAT(sorted(char_wb_ngrams("ab", {3, 5})), ElementsAre(" ab", " ab ", "ab "));
}

TEST(CharWb, MultiByteCharacterIsOneCharacter) {
  EXPECT_THAT(char_wb_ngrams("été", {2, 2}), UnorderedElementsAre(" é", "ét", "té", "é "));
}

TEST(WordNgrams, JoinsNeighboursWithOneSpace) {
  EXPECT_THAT(word_ngrams({"a", "b", "c"}, {1, 2}), ElementsAre("a", "a b", "b", "b c", "c"));
  EXPECT_THAT(word_ngrams({"a", "b"}, {3, 3}), ElementsAre());
}

// Tiny corpus, n = 3: "cat sat", "cat cat dog", "bird".
class TfidfTiny : public ::testing::Test {
 protected:
  void SetUp() override {
    vectorizer = TfidfVectorizer(TfidfOptions{{1, 1}, {2, 3}, 1});
    vectorizer.fit({"cat sat", "Cat cat dog!", "bird"});
  }
  double value_of(const std::vector<TfidfFeature>& features, uint32_t index) {
    for (const auto& f : features) {
      if (f.index == index) return f.value;
    }
    return 0;
  }
  TfidfVectorizer vectorizer;
};

TEST_F(TfidfTiny, SmoothIdfMatchesFormula) {
  // idf = ln((1 + n) / (1 + df)) + 1
  EXPECT_NEAR(vectorizer.idf(*vectorizer.index_of(NgramBlock::word, "cat")),
              std::log(4.0 / 3.0) + 1, 1e-12);
  EXPECT_NEAR(vectorizer.idf(*vectorizer.index_of(NgramBlock::word, "bird")),
              std::log(4.0 / 2.0) + 1, 1e-12);
}

TEST_F(TfidfTiny, SublinearTfThenL2PerBlock) {
  std::vector<TfidfFeature> out;
  vectorizer.transform("cat cat dog", out);
  double cat = (1 + std::log(2.0)) * (std::log(4.0 / 3.0) + 1);  // tf 2, df 2
  double dog = 1 * (std::log(4.0 / 2.0) + 1);                    // tf 1, df 1
  double norm = std::sqrt(cat * cat + dog * dog);
  EXPECT_NEAR(value_of(out, *vectorizer.index_of(NgramBlock::word, "cat")), cat / norm, 1e-12);
  EXPECT_NEAR(value_of(out, *vectorizer.index_of(NgramBlock::word, "dog")), dog / norm, 1e-12);
  // The character block (every other feature here) is normalised on its own.
  auto cat_index = *vectorizer.index_of(NgramBlock::word, "cat");
  auto dog_index = *vectorizer.index_of(NgramBlock::word, "dog");
  double char_norm2 = 0;
  for (const auto& f : out) {
    if (f.index != cat_index && f.index != dog_index) char_norm2 += f.value * f.value;
  }
  EXPECT_NEAR(char_norm2, 1, 1e-12);
}

TEST_F(TfidfTiny, IndicesAscendWordBlockFirst) {
  std::vector<TfidfFeature> out;
  vectorizer.transform("dog sat on the cat", out);
  ASSERT_FALSE(out.empty());
  for (std::size_t i = 1; i < out.size(); ++i) EXPECT_LT(out[i - 1].index, out[i].index);
  EXPECT_LT(*vectorizer.index_of(NgramBlock::word, "bird"),
            *vectorizer.index_of(NgramBlock::chars, " b"));
}

TEST_F(TfidfTiny, UnknownNgramsAreIgnored) {
  std::vector<TfidfFeature> out{{0, 1.0}};
  vectorizer.transform("zzz qqq", out);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(vectorizer.index_of(NgramBlock::word, "zebra").has_value());
}

TEST(Tfidf, MinDfDropsRareNgrams) {
  TfidfVectorizer vectorizer(TfidfOptions{{1, 1}, {2, 2}, 2});
  vectorizer.fit({"cat sat", "cat dog", "bird"});
  EXPECT_TRUE(vectorizer.index_of(NgramBlock::word, "cat").has_value());
  EXPECT_FALSE(vectorizer.index_of(NgramBlock::word, "bird").has_value());
  EXPECT_FALSE(vectorizer.index_of(NgramBlock::chars, "bi").has_value());
}

TEST(Tfidf, SaveAndLoadGiveIdenticalVectors) {
  TfidfVectorizer vectorizer;
  vectorizer.fit({"reset my password", "my card was charged twice", "where is my parcel"});
  auto file = std::filesystem::temp_directory_path() / "tunecase_tfidf_test.txt";
  vectorizer.save(file);
  TfidfVectorizer loaded;
  loaded.load(file);
  std::filesystem::remove(file);
  EXPECT_EQ(loaded.size(), vectorizer.size());
  EXPECT_EQ(loaded.options().chars.max, 5);
  std::vector<TfidfFeature> a, b;
  vectorizer.transform("my password was charged", a);
  loaded.transform("my password was charged", b);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].index, b[i].index);
    EXPECT_EQ(a[i].value, b[i].value);
  }
}

TEST(Tfidf, LoadRejectsAForeignFile) {
  auto file = std::filesystem::temp_directory_path() / "tunecase_tfidf_foreign.txt";
  std::ofstream(file) << "solver_type L2R_LR\n";
  TfidfVectorizer vectorizer;
  EXPECT_THROW(vectorizer.load(file), UserError);
  std::filesystem::remove(file);
  EXPECT_THROW(vectorizer.load(file), UserError);
}

}  // namespace
}  // namespace tunecase
