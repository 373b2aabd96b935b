#pragma once

#include <memory>
#include <string>

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
  int autotune_seconds = 0;  // > 0 with a non-empty dev split: fastText's autotune on dev
  int seed = 0;
};

// Reads and validates the options; throws UserError naming the approach and the key.
FasttextOptions fasttext_options(const ApproachConfig& config);

// A supervised fastText model (libfasttext), optionally autotuned on dev.
std::unique_ptr<Classifier> make_fasttext_classifier(const ApproachConfig& config);

}  // namespace tunecase
