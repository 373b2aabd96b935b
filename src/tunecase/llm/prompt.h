#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/data/example.h"
#include "tunecase/llm/prompt_examples.h"
#include "tunecase/llm/prompt_template.h"
#include "tunecase/search/bm25_index.h"

namespace tunecase {

enum class PromptStrategy {
  kZeroShot,          // task, labels (with descriptions), the text
  kFewShot,           // + k train examples, the same for every text
  kRetrievalFewShot,  // + the k train examples most similar to each text (BM25)
  kChainOfThought,    // reason briefly, then answer as JSON {"reasoning", "label"}
};

std::string to_string(PromptStrategy strategy);

// The prompt keys of one [[approach]] table.
struct PromptSettings {
  PromptStrategy strategy = PromptStrategy::kZeroShot;
  std::size_t shots = 0;  // examples per prompt (default 5 for the few-shot strategies)
  ExampleSelection selection = ExampleSelection::kStratified;
  uint64_t example_seed = 7;             // fixes which examples few_shot shows
  bool label_descriptions = true;        // add the [labels] descriptions to the label list
  bool structured_output = false;        // the answer is a JSON object with "label"
  std::optional<PromptTemplate> custom;  // from template_file, replacing the default layout
  std::size_t max_text_chars = 0;        // texts cut to this many characters (0: whole)
  // retrieval_few_shot: the same index settings (and keys) as the `retrieval` approach, so both
  // find the same neighbours.
  Bm25Params index_params;
};

// Reads prompt, shots, selection, example_seed (default: the [data] seed), label_descriptions,
// structured_output, template_file and, for retrieval_few_shot, the retrieval index keys (k1, b,
// char_ngrams, char_ngram_weight). Throws UserError naming the approach for bad values.
PromptSettings prompt_settings(const ApproachConfig& approach, const ProjectConfig& project);

struct PromptText {
  std::string system;  // "" when a custom template has no system part
  std::string user;
};

// Renders the prompt of each text. It is given only the train split, so no dev or test text
// can ever reach a prompt. Thread-safe after construction (render is const).
//
// Default layout (the offline stand-in `tunecase sim-llm` reads it):
//   system: <task line>\nLabels:\n- <label>[: <description>]...\n\n<answer instruction>
//   user:   [Examples:\nText: <example>\nLabel: <label>\n\n...\n\n]Text: <text>\nLabel:
class PromptBuilder {
 public:
  PromptBuilder(PromptSettings settings, const ProjectConfig& project, const Examples& train,
                std::vector<std::string> labels);

  PromptText render(std::string_view text) const;

  // The examples shown for `text` (fixed few-shot set, or its retrieval neighbours).
  Examples examples_for(std::string_view text) const;

  const PromptSettings& settings() const { return settings_; }
  const std::vector<std::string>& labels() const { return labels_; }

 private:
  std::string task_line() const;
  std::string label_lines() const;
  std::string answer_instruction() const;

  PromptSettings settings_;
  std::vector<std::string> labels_;
  std::map<std::string, std::string> descriptions_;
  std::string task_;
  Examples fixed_examples_;           // few_shot, and padding for retrieval
  std::unique_ptr<Bm25Index> index_;  // retrieval_few_shot only
  // Labels written as JSON strings, in the list and the examples (labels_need_quotes).
  bool quoted_labels_ = false;
  std::string label_lines_;  // label_lines(), made once
  std::string system_;       // the system message of the built-in strategies
  std::string fixed_block_;  // the fixed examples' block of the built-in strategies
};

// Whether a prompt writes its labels as JSON strings ("Team 4: ops"): one holding ": " (read as a
// label and its description), a line break, a tab or another control character, a space at
// either end or a leading quote cannot be written bare on a list line or after "Label:". Then
// every label is quoted, so that the list reads one way.
bool labels_need_quotes(const std::vector<std::string>& labels);

// `text` cut to `max_chars` characters (Unicode code points, never inside one) and marked " […]"
// when it is longer (utf8_chars(text) > max_chars); as is when max_chars is 0 or the text fits.
std::string cut_text(std::string_view text, std::size_t max_chars);

// The JSON schema of a structured answer: {"label": one of `labels`}, with a "reasoning" string
// before it when `with_reasoning` (chain of thought). No other field is allowed.
nlohmann::json label_schema(const std::vector<std::string>& labels, bool with_reasoning);

}  // namespace tunecase
