#pragma once

// The chat fine-tuning files of `tunecase finetune` (docs/finetune.md): one JSON object per line,
//   {"messages": [{"role": "system", ...}, {"role": "user", ...}, {"role": "assistant", ...}]}
// rendered by the approach's own PromptBuilder (the prompt it is sent at inference) with the
// example's label as the assistant's answer ({"label": ...} with structured output). They are
// validated as the provider validates them before anything is uploaded.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/data/example.h"
#include "tunecase/llm/prompt.h"
#include "tunecase/privacy/redactor.h"

namespace tunecase {

// One file's lines from `examples`. Throws UserError for chain_of_thought prompts (no reasoning
// to train on) and for an example whose label is not in the builder's label set. The system and
// user texts of each line are redacted by `redactor` ([privacy] redact) with one placeholder map
// per line, exactly as a request at inference is; the label is never redacted.
std::string training_jsonl(const PromptBuilder& prompts, const Examples& examples,
                           const Redactor& redactor = Redactor());

// The provider's limits, as documented by OpenAI for chat fine-tuning.
struct TrainingLimits {
  std::size_t min_examples = 10;
  int64_t max_example_tokens = 65536;
  std::size_t max_file_bytes = 512ull << 20;
  double min_label_share = 0.1;  // a warning below this share of the largest label
};

// What validating a file found. `problems` stop the upload; `warnings` are reported.
struct TrainingFileReport {
  std::string name;  // "train.jsonl"
  std::size_t lines = 0, empty_lines = 0, duplicate_lines = 0, bytes = 0;
  int64_t tokens = 0;              // estimated (about 4 characters per token), one epoch
  int64_t max_example_tokens = 0;  // estimated
  std::map<std::string, std::size_t> label_counts;
  std::vector<std::string> problems, warnings;

  nlohmann::json to_json() const;
  std::string text() const;  // a few lines for the terminal
};

// Checks every line as the provider would: valid JSON with a messages list ending with the
// assistant's answer, no empty or duplicated lines, the token and size limits, the minimum number
// of examples, and the balance of labels (an answer outside `labels` is a problem). `rows`, when
// given, are the data rows the file's lines were made from, in order: a line over the token
// limit is then named by its row's id and line in the data file too.
TrainingFileReport validate_training_file(std::string_view name, std::string_view jsonl,
                                          const std::vector<std::string>& labels,
                                          const TrainingLimits& limits = {},
                                          const Examples* rows = nullptr);

// A stratified subset of `train` holding round(fraction x size) examples (every label first,
// then in proportion; data/subsample.h's order), seeded. fraction 1 returns train as is.
Examples stratified_fraction(const Examples& train, double fraction, uint64_t seed);

}  // namespace tunecase
