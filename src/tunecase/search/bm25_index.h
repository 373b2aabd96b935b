#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tunecase/config/settings.h"
#include "tunecase/data/example.h"

namespace tunecase {

// An in-memory BM25 index over labelled examples (Robertson/Sparck Jones BM25 with k1, b).
// The `retrieval` approach votes with its hits, and the LLM prompt strategies pick few-shot
// examples with it, so both see the same neighbours.
//
// score(q, d) = sum over distinct terms t of q present in d of
//   idf(t) * tf(t,d) * (k1 + 1) / (tf(t,d) + k1 * (1 - b + b * |d| / avgdl)),
//   idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
// Words and character n-grams are scored as separate fields, each with its own lengths.
// search() is const and allocation-local, so several threads may search one built index.
class Bm25Index {
 public:
  struct Hit {
    std::size_t index;  // position in the examples given to build()
    double score;       // BM25 score, higher is more similar
  };

  explicit Bm25Index(double k1 = 1.2, double b = 0.75);
  explicit Bm25Index(const Bm25Params& params);

  void build(const Examples& examples);
  // The k best hits for `query`, best first; ties broken by lower index. Empty when the query
  // shares no term with the index.
  std::vector<Hit> search(std::string_view query, std::size_t k) const;

  const Examples& examples() const { return examples_; }
  std::size_t size() const { return examples_.size(); }
  const Bm25Params& params() const { return params_; }
  // Inverse document frequency of a word (0 when the word is not in the index), for tests and
  // for explaining a match.
  double word_idf(std::string_view word) const;

 private:
  // The index is static once built, so each posting stores its whole BM25 term score
  // ("impact"); a query then only adds numbers.
  struct Posting {
    uint32_t doc;
    float impact;  // idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))
  };
  // One bag of terms (words, or character n-grams) with its own lengths and postings. Terms are
  // keyed by their 64-bit FNV-1a hash: no string per character n-gram, and a collision among a
  // few million terms is improbable (~1e-7) and would only merge two terms' postings.
  using TermHash = uint64_t;
  struct Field {
    std::unordered_map<TermHash, uint32_t> term_ids;
    std::vector<double> idf;                     // per term id
    std::vector<std::vector<Posting>> postings;  // per term id, ascending doc
  };

  // Term lists of one text: its words, and (when enabled) its character n-grams.
  void terms_of(std::string_view text, std::vector<TermHash>& words,
                std::vector<TermHash>& grams) const;
  void build_field(Field& field, const std::vector<std::vector<TermHash>>& doc_terms,
                   double max_df_share);
  void accumulate(const Field& field, std::vector<TermHash> query_terms, double weight,
                  std::vector<double>& scores) const;

  Bm25Params params_;
  Examples examples_;
  Field words_;
  Field chars_;
};

}  // namespace tunecase
