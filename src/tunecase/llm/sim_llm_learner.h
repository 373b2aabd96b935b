#pragma once

#include <string>
#include <vector>

#include "tunecase/llm/sim_llm_prompt.h"

namespace tunecase {

// The decision of sim-llm's lexical in-context learner. It has no accuracy setting: how often it
// is right depends only on how much the prompt's labels, descriptions and examples share words
// with the query.
struct SimDecision {
  std::string label;      // one of prompt.labels ("" when the prompt names no label at all)
  std::string reasoning;  // one or two sentences on why, for prompts that ask for reasoning
  bool from_examples = false;
};

// With examples: BM25 over the in-prompt examples (Robertson/Sparck Jones, k1 = 1.2, b = 0.75),
// score-weighted vote of the 3 nearest. Without examples, or when none shares a word with the
// query: zero-shot overlap of the query with each label's name (weight 2) and description
// (weight 1), each word weighted by ln(1 + labels / labels containing it). Ties are broken by a
// hash of the query, so an uninformative prompt yields a spread of labels, not the first one.
SimDecision decide(const SimPrompt& prompt);

// The words the learner compares: word_tokens, minus common English stop words, crudely stemmed
// ("charges", "charged", "charging" -> "charg").
std::vector<std::string> learner_terms(const std::string& text);

}  // namespace tunecase
