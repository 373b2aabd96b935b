#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tunecase {

// An inclusive range of n-gram lengths, e.g. {1, 2} for unigrams and bigrams.
struct NgramRange {
  int min = 1;
  int max = 1;
};

struct TfidfOptions {
  NgramRange word{1, 2};   // word n-grams over word_tokens()
  NgramRange chars{2, 5};  // character n-grams inside each word padded with spaces ("char_wb")
  int min_df = 1;          // drop n-grams seen in fewer training texts
};

// One non-zero feature; `index` is 0-based and ascending within a vector.
struct TfidfFeature {
  uint32_t index;
  double value;
};

// Which of the two feature blocks an n-gram belongs to.
enum class NgramBlock { word, chars };

// The character n-grams of one word as scikit-learn's `char_wb` analyzer makes them: the word
// is padded with one space on each side and cut into code-point n-grams; a padded word shorter
// than range.min counts once, whole.
std::vector<std::string> char_wb_ngrams(std::string_view word, NgramRange range);

// Word n-grams joined by single spaces, shortest first for each start position.
std::vector<std::string> word_ngrams(const std::vector<std::string>& tokens, NgramRange range);

// TF-IDF over two blocks, word n-grams then character n-grams, each L2-normalised on its own and
// concatenated (scikit-learn's FeatureUnion of two TfidfVectorizers):
//   tf = 1 + ln(count) (sublinear), idf = ln((1 + n) / (1 + df)) + 1 (smooth idf).
// N-grams are keyed by a 64-bit hash computed on the fly, so no string is built per n-gram.
class TfidfVectorizer {
 public:
  explicit TfidfVectorizer(TfidfOptions options = {});
  ~TfidfVectorizer();
  TfidfVectorizer(TfidfVectorizer&&) noexcept;
  TfidfVectorizer& operator=(TfidfVectorizer&&) noexcept;

  // Learns the vocabulary and idf from `texts` (replacing any previous fit).
  void fit(const std::vector<std::string_view>& texts);

  // Appends the features of `text` to `out` (cleared first); unknown n-grams are ignored.
  void transform(std::string_view text, std::vector<TfidfFeature>& out) const;

  std::size_t size() const;  // number of features (both blocks)
  const TfidfOptions& options() const { return options_; }
  // The feature index of one n-gram (as word_ngrams / char_wb_ngrams spell it), if known.
  std::optional<uint32_t> index_of(NgramBlock block, std::string_view ngram) const;
  double idf(uint32_t index) const;

  // A text file with the options, the hashed vocabulary and the idf of every feature.
  void save(const std::filesystem::path& file) const;
  // Throws UserError when the file is missing or not a vocabulary this version wrote.
  void load(const std::filesystem::path& file);

 private:
  struct Vocabulary;
  TfidfOptions options_;
  std::unique_ptr<Vocabulary> vocabulary_;
};

}  // namespace tunecase
