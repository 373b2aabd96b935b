#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/llm/provider.h"

namespace tunecase {

// What `tunecase sim-llm` understands of a classification prompt. The conventions it reads are
// documented in docs/sim-llm.md; the prompt strategies of llm/ render them.
struct SimExample {
  std::string text;
  std::string label;
};

struct SimPrompt {
  std::vector<std::string> labels;                  // in the order the prompt gives them
  std::map<std::string, std::string> descriptions;  // label -> its one-line description
  std::vector<SimExample> examples;                 // labelled examples found in the prompt
  std::string query;                                // the text to classify
  std::string answer_field = "label";               // the schema property that holds the label
  bool wants_reasoning = false;
  bool has_schema = false;
};

// Reads labels, examples and the query from the messages (and the answer schema, null when
// none):
// - labels: the `enum` of the schema's label property if present, else the `- <label>` or
//   `- <label>: <description>` lines after a line `Labels:`, up to a blank line;
// - examples: `Text: <text>` blocks followed by a `Label: <label>` line, in any message, and
//   user/assistant message pairs before the last user message (assistant content = label);
// - query: the last `Text:` block without a label outside those pairs, else the whole last user
//   message.
SimPrompt read_prompt(const std::vector<ChatMessage>& messages, const nlohmann::json& schema);

}  // namespace tunecase
