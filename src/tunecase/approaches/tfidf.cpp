#include "tunecase/approaches/tfidf.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/search/tokenize.h"

namespace tunecase {
namespace {

constexpr std::string_view kFileMagic = "tunecase-tfidf 1";

// Open-addressing map from a 64-bit n-gram hash to a feature index. The vocabulary is looked up
// once per n-gram of every text, so it is the hot loop; linear probing over two flat arrays
// beats std::unordered_map's node per entry several times over. Key 0 marks an empty slot.
class HashIndex {
 public:
  HashIndex() { rehash(1024); }

  std::size_t size() const { return size_; }

  std::optional<uint32_t> find(uint64_t key) const {
    for (std::size_t slot = home(key);; slot = (slot + 1) & mask_) {
      if (keys_[slot] == key) return values_[slot];
      if (keys_[slot] == 0) return std::nullopt;
    }
  }

  // The index of `key`, adding it as the next index when new.
  uint32_t insert(uint64_t key) {
    if (2 * (size_ + 1) > keys_.size()) rehash(keys_.size() * 2);
    std::size_t slot = home(key);
    for (; keys_[slot] != 0; slot = (slot + 1) & mask_) {
      if (keys_[slot] == key) return values_[slot];
    }
    keys_[slot] = key;
    values_[slot] = static_cast<uint32_t>(size_);
    return static_cast<uint32_t>(size_++);
  }

  // Keys ordered by their index.
  std::vector<uint64_t> keys_by_index() const {
    std::vector<uint64_t> out(size_);
    for (std::size_t slot = 0; slot < keys_.size(); ++slot) {
      if (keys_[slot] != 0) out[values_[slot]] = keys_[slot];
    }
    return out;
  }

 private:
  std::size_t home(uint64_t key) const {
    // splitmix64 finaliser: FNV's low bits are weak for short keys.
    key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ull;
    key = (key ^ (key >> 27)) * 0x94d049bb133111ebull;
    return (key ^ (key >> 31)) & mask_;
  }

  void rehash(std::size_t capacity) {
    std::vector<uint64_t> old_keys = std::move(keys_);
    std::vector<uint32_t> old_values = std::move(values_);
    keys_.assign(capacity, 0);
    values_.assign(capacity, 0);
    mask_ = capacity - 1;
    for (std::size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] == 0) continue;
      std::size_t slot = home(old_keys[i]);
      while (keys_[slot] != 0) slot = (slot + 1) & mask_;
      keys_[slot] = old_keys[i];
      values_[slot] = old_values[i];
    }
  }

  std::vector<uint64_t> keys_;
  std::vector<uint32_t> values_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

uint64_t ngram_key(std::string_view ngram) {
  uint64_t h = fnv1a64(ngram);
  return h == 0 ? 1 : h;
}

// Calls fn(string_view) for every word n-gram; `buffer` holds the tokens joined by spaces so
// that each n-gram is a view into it.
template <typename Fn>
void for_each_word_ngram(const std::vector<std::string>& tokens, NgramRange range,
                         std::string& buffer, std::vector<std::size_t>& starts, Fn&& fn) {
  buffer.clear();
  starts.clear();
  for (const auto& token : tokens) {
    if (!buffer.empty()) buffer.push_back(' ');
    starts.push_back(buffer.size());
    buffer += token;
  }
  starts.push_back(buffer.size() + 1);  // one past the end, as if followed by a space
  std::size_t count = tokens.size();
  for (std::size_t i = 0; i < count; ++i) {
    for (int n = range.min; n <= range.max && i + n <= count; ++n) {
      std::size_t end = starts[i + n] - 1;
      fn(std::string_view(buffer).substr(starts[i], end - starts[i]));
    }
  }
}

// Calls fn(string_view) for every char_wb n-gram of `word` (see char_wb_ngrams).
template <typename Fn>
void for_each_char_ngram(std::string_view word, NgramRange range, std::string& padded,
                         std::vector<std::size_t>& starts, Fn&& fn) {
  padded.assign(1, ' ');
  padded += word;
  padded.push_back(' ');
  starts.clear();
  for (std::size_t b = 0; b < padded.size(); ++b) {
    if ((static_cast<unsigned char>(padded[b]) & 0xC0) != 0x80) starts.push_back(b);
  }
  std::size_t length = starts.size();  // in code points
  starts.push_back(padded.size());
  if (length < static_cast<std::size_t>(range.min)) {
    fn(std::string_view(padded));
    return;
  }
  for (std::size_t i = 0; i < length; ++i) {
    for (int n = range.min; n <= range.max && i + n <= length; ++n) {
      fn(std::string_view(padded).substr(starts[i], starts[i + n] - starts[i]));
    }
  }
}

// Reusable buffers for one thread, so that vectorising a text allocates nothing once warm.
struct Scratch {
  std::string buffer;
  std::vector<std::size_t> starts;
  std::vector<uint32_t> word_ids;
  std::vector<uint32_t> char_ids;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// Calls on_word(key) and on_char(key) for the hashed n-grams of `tokens`.
template <typename OnWord, typename OnChar>
void for_each_key(const std::vector<std::string>& tokens, const TfidfOptions& options, Scratch& s,
                  OnWord&& on_word, OnChar&& on_char) {
  for_each_word_ngram(tokens, options.word, s.buffer, s.starts,
                      [&](std::string_view g) { on_word(ngram_key(g)); });
  for (const auto& token : tokens) {
    for_each_char_ngram(token, options.chars, s.buffer, s.starts,
                        [&](std::string_view g) { on_char(ngram_key(g)); });
  }
}

}  // namespace

struct TfidfVectorizer::Vocabulary {
  HashIndex words;
  HashIndex chars;
  std::vector<double> idf;  // word block first, then char block
};

std::vector<std::string> char_wb_ngrams(std::string_view word, NgramRange range) {
  std::vector<std::string> out;
  std::string padded;
  std::vector<std::size_t> starts;
  for_each_char_ngram(word, range, padded, starts,
                      [&](std::string_view g) { out.emplace_back(g); });
  return out;
}

std::vector<std::string> word_ngrams(const std::vector<std::string>& tokens, NgramRange range) {
  std::vector<std::string> out;
  std::string buffer;
  std::vector<std::size_t> starts;
  for_each_word_ngram(tokens, range, buffer, starts,
                      [&](std::string_view g) { out.emplace_back(g); });
  return out;
}

TfidfVectorizer::TfidfVectorizer(TfidfOptions options)
    : options_(options), vocabulary_(std::make_unique<Vocabulary>()) {}
TfidfVectorizer::~TfidfVectorizer() = default;
TfidfVectorizer::TfidfVectorizer(TfidfVectorizer&&) noexcept = default;
TfidfVectorizer& TfidfVectorizer::operator=(TfidfVectorizer&&) noexcept = default;

namespace {

// Counts each feature once per document: `last_doc` remembers the last text that counted it.
void count_df(uint32_t id, uint32_t doc, std::vector<uint32_t>& df,
              std::vector<uint32_t>& last_doc) {
  if (id == df.size()) {
    df.push_back(0);
    last_doc.push_back(UINT32_MAX);
  }
  if (last_doc[id] != doc) {
    last_doc[id] = doc;
    ++df[id];
  }
}

// Keeps the keys with df >= min_df, in their original order, and their df.
HashIndex keep_frequent(const HashIndex& index, std::vector<uint32_t>& df, int min_df) {
  HashIndex kept;
  std::vector<uint32_t> kept_df;
  std::vector<uint64_t> keys = index.keys_by_index();
  for (std::size_t id = 0; id < keys.size(); ++id) {
    if (df[id] < static_cast<uint32_t>(min_df)) continue;
    kept.insert(keys[id]);
    kept_df.push_back(df[id]);
  }
  df = std::move(kept_df);
  return kept;
}

}  // namespace

void TfidfVectorizer::fit(const std::vector<std::string_view>& texts) {
  auto vocabulary = std::make_unique<Vocabulary>();
  std::vector<uint32_t> word_df, char_df, word_last, char_last;
  Scratch& s = scratch();
  for (uint32_t doc = 0; doc < texts.size(); ++doc) {
    for_each_key(
        word_tokens(texts[doc]), options_, s,
        [&](uint64_t k) { count_df(vocabulary->words.insert(k), doc, word_df, word_last); },
        [&](uint64_t k) { count_df(vocabulary->chars.insert(k), doc, char_df, char_last); });
  }
  if (options_.min_df > 1) {
    vocabulary->words = keep_frequent(vocabulary->words, word_df, options_.min_df);
    vocabulary->chars = keep_frequent(vocabulary->chars, char_df, options_.min_df);
  }
  // Smooth idf: ln((1 + n) / (1 + df)) + 1, as if one extra text contained every n-gram.
  double n = static_cast<double>(texts.size());
  for (const auto* df : {&word_df, &char_df}) {
    for (uint32_t d : *df) vocabulary->idf.push_back(std::log((1 + n) / (1 + d)) + 1);
  }
  vocabulary_ = std::move(vocabulary);
}

namespace {

// Turns the feature ids of one block into sublinear tf-idf values, L2-normalised, ascending.
void append_block(std::vector<uint32_t>& ids, uint32_t offset, const std::vector<double>& idf,
                  std::vector<TfidfFeature>& out) {
  std::sort(ids.begin(), ids.end());
  std::size_t first = out.size();
  double norm2 = 0;
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i;
    while (j < ids.size() && ids[j] == ids[i]) ++j;
    uint32_t index = offset + ids[i];
    double value = (1 + std::log(static_cast<double>(j - i))) * idf[index];
    out.push_back({index, value});
    norm2 += value * value;
    i = j;
  }
  if (norm2 <= 0) return;
  double scale = 1 / std::sqrt(norm2);
  for (std::size_t i = first; i < out.size(); ++i) out[i].value *= scale;
}

}  // namespace

void TfidfVectorizer::transform(std::string_view text, std::vector<TfidfFeature>& out) const {
  out.clear();
  Scratch& s = scratch();
  s.word_ids.clear();
  s.char_ids.clear();
  const Vocabulary& v = *vocabulary_;
  for_each_key(
      word_tokens(text), options_, s,
      [&](uint64_t k) {
        if (auto id = v.words.find(k)) s.word_ids.push_back(*id);
      },
      [&](uint64_t k) {
        if (auto id = v.chars.find(k)) s.char_ids.push_back(*id);
      });
  append_block(s.word_ids, 0, v.idf, out);
  append_block(s.char_ids, static_cast<uint32_t>(v.words.size()), v.idf, out);
}

std::size_t TfidfVectorizer::size() const {
  return vocabulary_->idf.size();
}

std::optional<uint32_t> TfidfVectorizer::index_of(NgramBlock block, std::string_view ngram) const {
  if (block == NgramBlock::word) return vocabulary_->words.find(ngram_key(ngram));
  auto id = vocabulary_->chars.find(ngram_key(ngram));
  if (!id) return std::nullopt;
  return *id + static_cast<uint32_t>(vocabulary_->words.size());
}

double TfidfVectorizer::idf(uint32_t index) const {
  return vocabulary_->idf.at(index);
}

void TfidfVectorizer::save(const std::filesystem::path& file) const {
  errno = 0;  // the system's reason for a failed write, said with it
  std::ofstream out(file, std::ios::binary);
  out << kFileMagic << '\n'
      << fmt::format("options {} {} {} {} {}\n", options_.word.min, options_.word.max,
                     options_.chars.min, options_.chars.max, options_.min_df);
  std::size_t offset = 0;
  for (const HashIndex* index : {&vocabulary_->words, &vocabulary_->chars}) {
    out << "block " << index->size() << '\n';
    for (uint64_t key : index->keys_by_index()) {
      out << fmt::format("{:016x} {:.17g}\n", key, vocabulary_->idf[offset++]);
    }
  }
  out.close();  // what is still buffered is written here, and may not fit either
  if (!out)
    throw UserError(
        fmt::format("cannot write {}{}; check that the folder is writable and its disk "
                    "has free space",
                    file.string(), errno != 0 ? fmt::format(": {}", std::strerror(errno)) : ""));
}

void TfidfVectorizer::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  auto bad = [&](std::string_view what) {
    return UserError(fmt::format("{}: {}; train the model again (tunecase eval) to rewrite it",
                                 file.string(), what));
  };
  std::string line;
  if (!in || !std::getline(in, line)) throw bad("missing or unreadable");
  if (line != kFileMagic) throw bad("not a tunecase TF-IDF vocabulary");
  std::string word;
  TfidfOptions options;
  in >> word >> options.word.min >> options.word.max >> options.chars.min >> options.chars.max >>
      options.min_df;
  if (!in || word != "options") throw bad("malformed options line");
  auto vocabulary = std::make_unique<Vocabulary>();
  for (HashIndex* index : {&vocabulary->words, &vocabulary->chars}) {
    std::size_t count = 0;
    if (!(in >> word >> count) || word != "block") throw bad("malformed block header");
    for (std::size_t i = 0; i < count; ++i) {
      uint64_t key = 0;
      double idf = 0;
      if (!(in >> std::hex >> key >> std::dec >> idf)) throw bad("truncated vocabulary");
      index->insert(key);
      vocabulary->idf.push_back(idf);
    }
  }
  options_ = options;
  vocabulary_ = std::move(vocabulary);
}

}  // namespace tunecase
