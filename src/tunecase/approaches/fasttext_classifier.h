#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tunecase/approaches/classifier.h"

namespace tunecase {

// The hyper-parameters of the `fasttext` approach, read from its [[approach]] table. The
// defaults were chosen on a 15% dev split carved from HWU64's train file, never its test file
// (docs/benchmarks.md lists the candidates): one-vs-all loss and 3..6 character n-grams gained
// the most; 25 epochs were as good as 50 at half the time.
struct FasttextOptions {
  int epoch = 25;
  double lr = 0.5;
  int word_ngrams = 2;  // longest word n-gram
  int minn = 3;         // character n-grams of minn..maxn (0, 0: none)
  int maxn = 6;
  int dim = 50;
  int bucket = 200000;       // hash buckets for n-grams; memory is (words + bucket) * dim floats
  std::string loss = "ova";  // softmax | ova (one-vs-all) | hs
  int threads = 2;
  // > 0 with a non-empty dev split: our bounded search (fasttext_search_candidates) trains
  // candidates on train, scores them on dev until the budget is spent, then refits the best on
  // train + dev if that still fits in the budget.
  int autotune_seconds = 60;
  int autotune_trials = 16;  // at most this many candidates, the first being the options above
  int seed = 0;
};

// The candidates the search tries, in order: `base` itself first, then distinct neighbours drawn
// (seeded by base.seed) from a small grid of epoch, lr, minn/maxn, word_ngrams, loss and dim;
// bucket and threads stay those of `base`, which bounds memory to (words + bucket) x 100 floats.
std::vector<FasttextOptions> fasttext_search_candidates(const FasttextOptions& base,
                                                        std::size_t count);

// The options of the approach's typed settings (validated when the config was read).
FasttextOptions fasttext_options(const ApproachConfig& config);

// The dev rows a search needs: with fewer, one row moves dev accuracy by a point or more, so
// the candidates' order is noise (and each fit costs libfasttext half a second whatever the
// data: it fills a 120 MB vocabulary table). The configured options are then trained alone,
// scored and calibrated on dev and refit on train + dev; describe() says the search was skipped.
inline constexpr std::size_t kMinSearchDevRows = 100;

// A supervised fastText model (libfasttext), optionally autotuned on dev.
std::unique_ptr<Classifier> make_fasttext_classifier(const ApproachConfig& config);

}  // namespace tunecase
