#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/llm/provider.h"
#include "tunecase/llm/sim_llm_learner.h"

namespace tunecase {

// The two wire formats sim-llm speaks, translated to and from one neutral request.
enum class SimApi { kChatCompletions, kMessages };

struct SimRequest {
  SimApi api = SimApi::kChatCompletions;
  std::string model;
  double temperature = 0;  // the request's sampling temperature (0 when absent)
  std::vector<ChatMessage> messages;
  nlohmann::json schema;  // the answer schema (response_format or forced tool), null when none
  std::string tool_name;  // Messages API: the forced tool, answered with a tool_use block
  int max_tokens = 0;     // 0 = no limit given
  bool logprobs = false;  // Chat Completions: the request asked for log-probabilities
};

// A request body sim-llm cannot serve (HTTP 400 with the message).
class SimBadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

SimRequest read_chat_completions_request(const nlohmann::json& body);
SimRequest read_messages_request(const nlohmann::json& body);

// The answer text: with a schema, the answer object as JSON; else the label in one of the forms
// real models use (bare, "Label: x", "x.", another case, a short sentence), chosen by `draw`.
std::string render_answer(const SimDecision& decision, const SimPrompt& prompt, uint64_t draw);

struct SimReply {
  nlohmann::json body;
  int64_t output_tokens = 0;
};

// Answers a request in its API's response shape. `draw` picks the answer form (derive it from
// the seed and the request, so equal requests get equal answers); `sequence` numbers the id.
// `memory` (a fine-tuned model's training examples) joins the examples the prompt shows.
SimReply answer_request(const SimRequest& request, uint64_t draw, uint64_t sequence,
                        const std::vector<SimExample>* memory = nullptr);

// Token estimate used for `usage`: ceil(characters / 4).
int64_t estimate_tokens(std::size_t characters);

// An OpenAI-style error object {"error": {"message", "type", "code"}}.
nlohmann::json error_body(const std::string& message, const std::string& type,
                          const std::string& code);

}  // namespace tunecase
