#pragma once

#include <cstdint>
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
  // The label's share of every label's evidence, in (0, 1]: what sim-llm reports as the answer's
  // probability when a request asks for log-probabilities.
  double probability = 1;
};

// What the request says about the "model" answering it. The name selects a capacity by a
// mechanism, not a score: a name containing "mini", "small", "nano" or "tiny" reads label names
// only (no descriptions) and votes with the single nearest example; any other name reads the
// descriptions and votes with the 3 nearest. Temperature > 0 adds seeded noise to the label
// scores (uniform in [0, temperature x best score)), drawn from a hash of the query, the label
// and `seed`, so an identical request still gets an identical answer.
struct SimModel {
  std::string name = "sim-llm";
  double temperature = 0;
  uint64_t seed = 0;
};

// Each label's evidence is the sum of two normalised parts: the zero-shot overlap of the query
// with the label's name (weight 2) and description (weight 1), each word weighted by
// ln(1 + labels / labels containing it); and, with examples in the prompt, the BM25 score
// (Robertson/Sparck Jones, k1 = 1.2, b = 0.75) of the nearest examples voting for their label.
// Each part is divided by its own total, so neither drowns the other (a real model reads the
// label list and the examples together); the example part is further scaled by the share of the
// voting slots filled, so one weak neighbour counts less than three. Ties are broken by a hash of
// the query, so an uninformative prompt yields a spread of labels, not the first one.
SimDecision decide(const SimPrompt& prompt, const SimModel& model);
SimDecision decide(const SimPrompt& prompt);  // the default model "sim-llm" at temperature 0

// True for model names that select the small capacity ("mini", "small", "nano", "tiny").
bool is_small_model(const std::string& name);

// The words the learner compares: word_tokens, minus common English stop words, crudely stemmed
// ("charges", "charged", "charging" -> "charg").
std::vector<std::string> learner_terms(const std::string& text);

}  // namespace tunecase
