#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tunecase/data/example.h"

namespace tunecase {

// An in-memory BM25 index over labelled examples (Robertson/Sparck Jones BM25 with k1, b).
// The `retrieval` approach votes with its hits, and the LLM prompt strategies pick few-shot
// examples with it, so both see the same neighbours.
class Bm25Index {
 public:
  struct Hit {
    std::size_t index;  // position in the examples given to build()
    double score;       // BM25 score, higher is more similar
  };

  explicit Bm25Index(double k1 = 1.2, double b = 0.75);

  void build(const Examples& examples);
  // The k best hits for `query`, best first; ties broken by lower index. Empty when the query
  // shares no term with the index.
  std::vector<Hit> search(std::string_view query, std::size_t k) const;

  const Examples& examples() const { return examples_; }
  std::size_t size() const { return examples_.size(); }

 private:
  struct Posting {
    uint32_t doc;
    uint32_t tf;
  };
  double k1_, b_;
  Examples examples_;
  std::vector<uint32_t> doc_length_;
  double avg_length_ = 0;
  std::vector<std::string> terms_;              // sorted vocabulary
  std::vector<std::vector<Posting>> postings_;  // parallel to terms_
};

}  // namespace tunecase
