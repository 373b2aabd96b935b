// The BM25 index's query time over 10,000 short texts (the retrieval approach and the retrieved
// few-shot examples search it for every item), against scoring every document of the same
// corpus one by one in the same run: the baseline the index exists to beat.
//
//   cmake -S . -B build -DTUNECASE_BENCH=ON && cmake --build build --target bm25_bench
//   build/bench/bm25_bench --benchmark_repetitions=5
//
// Quote BM_Query over BM_ScanEveryDocument (CPU time per query) as the ratio. The test suite
// checks the answers (tests/search/bm25_test.cpp); speed is measured here, not asserted there.

#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "tunecase/search/bm25_index.h"
#include "tunecase/search/tokenize.h"

namespace {

using namespace tunecase;

// Short texts over a 3,000-word vocabulary with a skewed (roughly Zipf) word frequency, like
// support tickets or intents; a fixed LCG keeps the corpus identical on every run.
std::string random_text(uint64_t& state, int words) {
  std::string text;
  for (int w = 0; w < words; ++w) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    double u = static_cast<double>(state >> 11) * 0x1.0p-53;
    auto rank = static_cast<int>(3000 * u * u * u);  // cubing skews towards frequent words
    text += fmt::format("{}w{} ", static_cast<char>('a' + rank % 26), rank);
  }
  return text;
}

struct Corpus {
  Examples docs;
  std::vector<std::string> queries;
  Corpus() {
    uint64_t state = 1;
    for (int i = 0; i < 10000; ++i) {
      Example e;
      e.text = random_text(state, 10);
      e.label = "x";
      docs.push_back(std::move(e));
    }
    for (int q = 0; q < 300; ++q) queries.push_back(random_text(state, 7));
  }
};

const Corpus& corpus() {
  static const Corpus c;
  return c;
}

void BM_Query(benchmark::State& state) {
  Bm25Index index(Bm25Params{.char_ngram_min = 3, .char_ngram_max = 4, .char_ngram_weight = 0.1});
  index.build(corpus().docs);
  std::size_t q = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(index.search(corpus().queries[q], 5));
    q = (q + 1) % corpus().queries.size();
  }
}
BENCHMARK(BM_Query);

// The baseline: the query's words looked up in every document's word set, one document at a time.
void BM_ScanEveryDocument(benchmark::State& state) {
  std::vector<std::unordered_set<std::string>> words;
  for (const auto& d : corpus().docs) {
    auto tokens = word_tokens(d.text);
    words.emplace_back(tokens.begin(), tokens.end());
  }
  std::size_t q = 0;
  for (auto _ : state) {
    const std::vector<std::string> query = word_tokens(corpus().queries[q]);
    std::size_t best = 0, best_doc = 0;
    for (std::size_t d = 0; d < words.size(); ++d) {
      std::size_t shared = 0;
      for (const auto& w : query) shared += words[d].count(w);
      if (shared > best) best = shared, best_doc = d;
    }
    benchmark::DoNotOptimize(best_doc);
    q = (q + 1) % corpus().queries.size();
  }
}
BENCHMARK(BM_ScanEveryDocument);

}  // namespace
