#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tunecase/approaches/classifier.h"
#include "tunecase/search/bm25_index.h"

namespace tunecase {

// k nearest labelled neighbours by BM25, score-weighted vote.
//
// Params of the [[approach]] table (all optional):
//   k = 5                  neighbours that vote
//   k1 = 1.2, b = 0.75     BM25 constants
//   char_ngrams = [3, 4]   character n-gram lengths added beside words; false or [] for none
//   char_ngram_weight = 0.1  (chosen on a dev split of HWU64 train: +1 point over words only)
//   char_ngram_max_df = 1.0  leave out character n-grams found in more than this share of texts
// No training beyond indexing the train split; save() writes the train examples and the params,
// load() rebuilds the index from them.
std::unique_ptr<Classifier> make_retrieval_classifier(const ApproachConfig& config);

// The label a score-weighted vote of `hits` (best first) elects: the largest sum of scores; on
// a tie, the label whose best hit ranks higher. `labels[i]` is the label of hit i.
// Exposed for tests and for the prompt strategies that explain a retrieval.
std::string vote_label(const std::vector<Bm25Index::Hit>& hits,
                       const std::vector<std::string>& labels);

}  // namespace tunecase
