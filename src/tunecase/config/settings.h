#pragma once

// The typed settings of one project config, one struct per table (and per approach kind). They
// are filled once, when the file is read (config.cpp, approach_settings.cpp); the rest of the
// library reads these fields and never the TOML. Defaults live here, next to the field.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/table_reader.h"

namespace tunecase {

// A self-hosted approach's bill (assumed): fixed instances, or per query from the measured
// throughput. One formula reads it in eval and in decide (hosting_cost.h).
struct HostingSettings {
  std::optional<double> usd_per_hour;   // per instance
  std::optional<double> usd_per_month;  // the whole bill, when known as a monthly figure
  int instances = 1;
  std::string billing = "fixed";  // fixed | per_query
  std::optional<double> throughput_per_s;
};

// Business-case keys of one approach (docs/decide.md); all assumed, all optional.
struct ApproachCostSettings {
  std::optional<double> accuracy;            // scenario mode: assumed accuracy
  std::optional<double> harmful_error_rate;  // scenario mode: share of queries that do harm
  std::optional<double> usd_per_query;
  std::optional<double> training_usd;
  std::optional<double> engineering_weeks;
  std::optional<double> retrain_every_months;
  std::optional<double> retrain_usd;
  std::optional<double> maintenance_weeks_per_month;
  std::optional<double> time_to_ship_weeks;
  std::optional<double> monitoring_usd_per_month;
  std::optional<bool> trained;
  std::optional<HostingSettings> hosting;
  // `tunecase finetune`'s finetune.json for a fine-tuned model: its training cost is measured
  // there (simulated against sim-llm), and a retraining is priced as one more such job.
  std::filesystem::path finetune_record;
};

// Knobs of the BM25 index (the `retrieval` approach and retrieval_few_shot prompts share them).
// Character n-grams (taken inside each word, padded with '<' and '>' as fastText does) make
// typos and inflections match; they are extra terms beside the words, their contribution scaled
// by `char_ngram_weight`. 0/0 turns them off.
struct Bm25Params {
  double k1 = 1.2;
  double b = 0.75;
  int char_ngram_min = 0;
  int char_ngram_max = 0;
  double char_ngram_weight = 1.0;
  // Character n-grams found in more than this share of the documents ("<th", "ing") are left
  // out of the index: they match nearly everything, cost most of a query's time and barely
  // change the ranking. 1.0 keeps them all.
  double char_ngram_max_df = 1.0;

  bool char_ngrams() const { return char_ngram_min > 0 && char_ngram_max >= char_ngram_min; }
};

struct LinearSettings {
  std::string model = "svm";  // svm (L2-loss SVM, dual) | logreg
  double C = 1.0;
  bool search_c = false;  // pick C on dev from a small grid
  int threads = 2;
  IntPair word_ngrams{1, 2};
  IntPair char_ngrams{2, 5};
  int min_df = 1;
};

struct FasttextSettings {
  int epoch = 25;
  double lr = 0.5;
  int word_ngrams = 2;
  int minn = 3;
  int maxn = 6;
  int dim = 50;
  int bucket = 200000;
  std::string loss = "ova";  // softmax | ova | hs
  int threads = 2;
  int autotune_seconds = 60;  // search on dev within this budget (0: off)
  int autotune_trials = 16;
  int seed = 0;
};

struct RetrievalSettings {
  int k = 5;
  Bm25Params index;
};

struct PriceOverride {
  double input = 0;  // USD per 1M tokens
  std::optional<double> cached_input;
  std::optional<double> cache_write, cache_write_1h;  // prompt-cache writes (Anthropic)
  double output = 0;
  std::string date;
};

// `finetune = { base_model, epochs, suffix }` of an openai approach: what `tunecase finetune`
// trains (docs/finetune.md).
struct FinetuneSettings {
  std::string base_model;  // the provider's fine-tunable snapshot, e.g. gpt-4.1-mini-2025-04-14
  int epochs = 3;          // passes over the training file; trained tokens scale with it
  std::string suffix;      // part of the resulting model id (ft:<base>:<org>:<suffix>:<id>)
};

// openai and anthropic approaches.
struct LlmSettings {
  std::string base_url;     // default per provider
  std::string api_key_env;  // "" when the endpoint needs no key (a local server)
  std::string model;
  std::string prompt = "zero_shot";  // zero_shot | few_shot | retrieval_few_shot | chain_of_thought
  std::optional<int> shots;          // default: 5 for the few-shot strategies, else 0
  std::string selection = "stratified";  // stratified | random
  std::optional<int64_t> example_seed;   // default: the [data] seed
  bool label_descriptions = true;
  bool structured_output = false;
  std::string template_file;  // resolved against the config's folder
  // Texts (the item and the examples shown) longer than this many characters are cut to it in
  // the prompt, marked " […]"; none: sent whole.
  std::optional<int> max_text_chars;
  double temperature = 0;
  std::optional<int> max_tokens;  // default 64 (256 for chain_of_thought)
  std::optional<int64_t> seed;
  nlohmann::json extra = nlohmann::json::object();  // merged into the request body (escape hatch)
  std::optional<PriceOverride> price;
  std::string prices;  // another price catalogue file, resolved against the config's folder
  double rpm = 0;      // 0: no limit
  double tpm = 0;
  // Time-out of one request to the endpoint, connection included; none: the command's default
  // (60 s for eval, optimize and curve; 30 s a try in serve).
  std::optional<int> timeout_ms;
  Bm25Params index;                          // retrieval_few_shot
  std::optional<FinetuneSettings> finetune;  // kind openai only
};

}  // namespace tunecase
