#include "tunecase/search/bm25_index.h"

#include <algorithm>
#include <cmath>

#include "tunecase/core/hash.h"
#include "tunecase/search/tokenize.h"

namespace tunecase {
namespace {

// Character n-grams of every word, padded as "<word>" so that prefixes and suffixes are
// distinct terms. Works on bytes: a gram may cut a multi-byte character, which is harmless
// because grams are only compared with each other, never shown.
void append_char_ngrams(const std::string& word, int min_n, int max_n, std::vector<uint64_t>& out) {
  const std::string padded = "<" + word + ">";
  const std::string_view view = padded;
  for (int n = min_n; n <= max_n; ++n) {
    auto len = static_cast<std::size_t>(n);
    if (len > view.size()) break;
    for (std::size_t i = 0; i + len <= view.size(); ++i)
      out.push_back(fnv1a64(view.substr(i, len)));
  }
}

bool better(const Bm25Index::Hit& a, const Bm25Index::Hit& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.index < b.index;
}

}  // namespace

Bm25Index::Bm25Index(double k1, double b) : Bm25Index(Bm25Params{.k1 = k1, .b = b}) {}

Bm25Index::Bm25Index(const Bm25Params& params) : params_(params) {}

void Bm25Index::terms_of(std::string_view text, std::vector<TermHash>& words,
                         std::vector<TermHash>& grams) const {
  words.clear();
  grams.clear();
  for (const auto& w : word_tokens(text)) {
    words.push_back(fnv1a64(w));
    if (params_.char_ngrams())
      append_char_ngrams(w, params_.char_ngram_min, params_.char_ngram_max, grams);
  }
}

void Bm25Index::build(const Examples& examples) {
  examples_ = examples;
  std::vector<std::vector<TermHash>> doc_words(examples_.size());
  std::vector<std::vector<TermHash>> doc_grams(examples_.size());
  for (std::size_t i = 0; i < examples_.size(); ++i)
    terms_of(examples_[i].text, doc_words[i], doc_grams[i]);
  words_ = Field{};
  chars_ = Field{};
  build_field(words_, doc_words, 1.0);
  if (params_.char_ngrams()) build_field(chars_, doc_grams, params_.char_ngram_max_df);
}

void Bm25Index::build_field(Field& field, const std::vector<std::vector<TermHash>>& doc_terms,
                            double max_df_share) {
  const std::size_t n = doc_terms.size();
  double total_length = 0;
  for (std::size_t doc = 0; doc < n; ++doc) {
    const auto& terms = doc_terms[doc];
    total_length += static_cast<double>(terms.size());
    std::vector<uint32_t> ids;
    ids.reserve(terms.size());
    for (const auto& t : terms) {
      auto [it, inserted] = field.term_ids.try_emplace(t, field.postings.size());
      if (inserted) field.postings.emplace_back();
      ids.push_back(it->second);
    }
    std::sort(ids.begin(), ids.end());
    for (std::size_t i = 0; i < ids.size();) {
      std::size_t j = i;
      while (j < ids.size() && ids[j] == ids[i]) ++j;
      // The term frequency waits in `impact` until the lengths and idf are known.
      field.postings[ids[i]].push_back({static_cast<uint32_t>(doc), static_cast<float>(j - i)});
      i = j;
    }
  }
  const double avg_length = n == 0 ? 0 : total_length / static_cast<double>(n);
  std::vector<double> length_norm(n);  // k1 * (1 - b + b * |d| / avgdl)
  for (std::size_t doc = 0; doc < n; ++doc) {
    double rel = avg_length > 0 ? static_cast<double>(doc_terms[doc].size()) / avg_length : 0;
    length_norm[doc] = params_.k1 * (1 - params_.b + params_.b * rel);
  }
  field.idf.resize(field.postings.size());
  for (std::size_t t = 0; t < field.postings.size(); ++t) {
    double df = static_cast<double>(field.postings[t].size());
    field.idf[t] = std::log(1 + (static_cast<double>(n) - df + 0.5) / (df + 0.5));
    if (df > max_df_share * static_cast<double>(n)) {
      std::vector<Posting>().swap(field.postings[t]);  // too common to be worth scoring
      continue;
    }
    for (Posting& p : field.postings[t]) {
      double tf = p.impact;
      p.impact =
          static_cast<float>(field.idf[t] * tf * (params_.k1 + 1) / (tf + length_norm[p.doc]));
    }
  }
}

void Bm25Index::accumulate(const Field& field, std::vector<TermHash> query_terms, double weight,
                           std::vector<double>& scores) const {
  // Each distinct query term counts once: repeating a word in a query should not outvote
  // the rest of the query.
  std::sort(query_terms.begin(), query_terms.end());
  query_terms.erase(std::unique(query_terms.begin(), query_terms.end()), query_terms.end());
  if (weight <= 0) return;
  for (const auto& term : query_terms) {
    auto it = field.term_ids.find(term);
    if (it == field.term_ids.end()) continue;
    for (const Posting& p : field.postings[it->second]) {
      scores[p.doc] += weight * p.impact;
    }
  }
}

std::vector<Bm25Index::Hit> Bm25Index::search(std::string_view query, std::size_t k) const {
  std::vector<Hit> hits;
  if (k == 0 || examples_.empty()) return hits;
  std::vector<TermHash> words, grams;
  terms_of(query, words, grams);
  // A dense score array and one scan beat tracking touched documents: the postings of common
  // character n-grams reach most documents anyway, and the loop above stays branch-free.
  std::vector<double> scores(examples_.size(), 0.0);
  accumulate(words_, std::move(words), 1.0, scores);
  if (params_.char_ngrams())
    accumulate(chars_, std::move(grams), params_.char_ngram_weight, scores);

  // Keep the k best in a heap whose front is the worst kept hit.
  hits.reserve(k + 1);
  for (std::size_t doc = 0; doc < scores.size(); ++doc) {
    if (scores[doc] <= 0) continue;
    Hit hit{doc, scores[doc]};
    if (hits.size() < k) {
      hits.push_back(hit);
      std::push_heap(hits.begin(), hits.end(), better);
    } else if (better(hit, hits.front())) {
      std::pop_heap(hits.begin(), hits.end(), better);
      hits.back() = hit;
      std::push_heap(hits.begin(), hits.end(), better);
    }
  }
  std::sort_heap(hits.begin(), hits.end(), better);  // best first
  return hits;
}

double Bm25Index::word_idf(std::string_view word) const {
  auto it = words_.term_ids.find(fnv1a64(word));
  return it == words_.term_ids.end() ? 0.0 : words_.idf[it->second];
}

}  // namespace tunecase
