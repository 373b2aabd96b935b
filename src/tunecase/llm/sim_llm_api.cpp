#include "tunecase/llm/sim_llm_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>

namespace tunecase {
namespace {

constexpr const char* kFingerprint = "tunecase-sim-llm";

// Message content: a string or a list of parts [{type: text, text}] (both APIs allow both).
std::string content_text(const nlohmann::json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) throw SimBadRequest("message content must be a string or an array");
  std::string text;
  for (const auto& part : content) {
    if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
        part["text"].is_string()) {
      if (!text.empty()) text += '\n';
      text += part["text"].get_ref<const std::string&>();
    }
  }
  return text;
}

std::vector<ChatMessage> read_messages(const nlohmann::json& body) {
  if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty())
    throw SimBadRequest("'messages' must be a non-empty array");
  std::vector<ChatMessage> messages;
  for (const auto& m : body["messages"]) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content"))
      throw SimBadRequest("each message needs a string 'role' and a 'content'");
    messages.push_back({m["role"].get<std::string>(), content_text(m["content"])});
  }
  return messages;
}

std::string model_of(const nlohmann::json& body) {
  if (!body.contains("model") || !body["model"].is_string())
    throw SimBadRequest("'model' is required and must be a string");
  return body["model"].get<std::string>();
}

int max_tokens_of(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return 0;
  if (!it->is_number_integer() || it->get<int64_t>() < 1)
    throw SimBadRequest(fmt::format("'{}' must be a positive integer", key));
  return static_cast<int>(std::min<int64_t>(it->get<int64_t>(), 1 << 30));
}

std::string change_case(std::string label, bool upper) {
  std::transform(label.begin(), label.end(), label.begin(), [upper](unsigned char c) {
    return static_cast<char>(upper ? std::toupper(c) : std::tolower(c));
  });
  return label;
}

std::string capitalised(std::string label) {
  if (!label.empty())
    label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
  return label;
}

// Cuts `text` to about `tokens` tokens without splitting a UTF-8 character.
std::string truncate_to_tokens(const std::string& text, int tokens) {
  std::size_t cut = static_cast<std::size_t>(tokens) * 4;
  if (cut >= text.size()) return text;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

int64_t input_tokens(const SimRequest& request) {
  int64_t tokens = 3;  // reply priming, as chat formats add
  for (const auto& m : request.messages) tokens += estimate_tokens(m.content.size()) + 4;
  if (!request.schema.is_null()) tokens += estimate_tokens(request.schema.dump().size());
  return tokens;
}

// With `logprobs`, the whole answer is reported as one token carrying the learner's probability
// of its label (a real API splits it into several tokens whose log-probabilities sum the same).
nlohmann::json chat_completion(const SimRequest& request, const std::string& text,
                               const std::string& finish, int64_t in, int64_t out, uint64_t seq,
                               double probability) {
  nlohmann::json logprobs = nullptr;
  if (request.logprobs)
    logprobs = {{"content",
                 {{{"token", text},
                   {"logprob", std::log(probability)},
                   {"bytes", nullptr},
                   {"top_logprobs", nlohmann::json::array()}}}},
                {"refusal", nullptr}};
  return {{"id", fmt::format("chatcmpl-sim-{}", seq)},
          {"object", "chat.completion"},
          {"created", static_cast<int64_t>(std::time(nullptr))},
          {"model", request.model},
          {"system_fingerprint", kFingerprint},
          {"choices",
           {{{"index", 0},
             {"message", {{"role", "assistant"}, {"content", text}}},
             {"logprobs", logprobs},
             {"finish_reason", finish}}}},
          {"usage",
           {{"prompt_tokens", in},
            {"completion_tokens", out},
            {"total_tokens", in + out},
            {"prompt_tokens_details", {{"cached_tokens", 0}}}}}};
}

nlohmann::json message_reply(const SimRequest& request, const std::string& text, bool truncated,
                             int64_t in, int64_t out, uint64_t seq) {
  nlohmann::json block;
  std::string stop = truncated ? "max_tokens" : "end_turn";
  if (!request.tool_name.empty()) {
    block = {{"type", "tool_use"},
             {"id", fmt::format("toolu_sim_{}", seq)},
             {"name", request.tool_name},
             {"input", nlohmann::json::parse(text)}};
    stop = "tool_use";
  } else {
    block = {{"type", "text"}, {"text", text}};
  }
  return {{"id", fmt::format("msg_sim_{}", seq)},
          {"type", "message"},
          {"role", "assistant"},
          {"model", request.model},
          {"system_fingerprint", kFingerprint},
          {"content", nlohmann::json::array({block})},
          {"stop_reason", stop},
          {"stop_sequence", nullptr},
          {"usage", {{"input_tokens", in}, {"output_tokens", out}}}};
}

double temperature_of(const nlohmann::json& body) {
  auto it = body.find("temperature");
  return it != body.end() && it->is_number() ? it->get<double>() : 0.0;
}

}  // namespace

SimRequest read_chat_completions_request(const nlohmann::json& body) {
  if (!body.is_object()) throw SimBadRequest("the request body must be a JSON object");
  SimRequest request;
  request.api = SimApi::kChatCompletions;
  request.model = model_of(body);
  request.temperature = temperature_of(body);
  request.logprobs =
      body.contains("logprobs") && body["logprobs"].is_boolean() && body["logprobs"].get<bool>();
  request.messages = read_messages(body);
  request.max_tokens = max_tokens_of(body, "max_completion_tokens");
  if (request.max_tokens == 0) request.max_tokens = max_tokens_of(body, "max_tokens");
  auto format = body.value("response_format", nlohmann::json());
  if (format.is_object() && format.value("type", "") == "json_schema") {
    auto schema = format.value("json_schema", nlohmann::json::object());
    if (!schema.is_object() || !schema.contains("schema") || !schema["schema"].is_object())
      throw SimBadRequest("response_format.json_schema.schema must be a JSON schema object");
    request.schema = schema["schema"];
  }
  return request;
}

SimRequest read_messages_request(const nlohmann::json& body) {
  if (!body.is_object()) throw SimBadRequest("the request body must be a JSON object");
  SimRequest request;
  request.api = SimApi::kMessages;
  request.model = model_of(body);
  request.temperature = temperature_of(body);
  request.max_tokens = max_tokens_of(body, "max_tokens");
  if (request.max_tokens == 0) throw SimBadRequest("'max_tokens' is required");
  request.messages = read_messages(body);
  if (body.contains("system"))
    request.messages.insert(request.messages.begin(), {"system", content_text(body["system"])});
  auto choice = body.value("tool_choice", nlohmann::json());
  if (choice.is_object() && choice.value("type", "") == "tool") {
    request.tool_name = choice.value("name", "");
    for (const auto& tool : body.value("tools", nlohmann::json::array()))
      if (tool.value("name", "") == request.tool_name)
        request.schema = tool.value("input_schema", nlohmann::json::object());
    if (request.schema.is_null())
      throw SimBadRequest(
          fmt::format("tool_choice names '{}', which is not in 'tools'", request.tool_name));
  }
  return request;
}

std::string render_answer(const SimDecision& decision, const SimPrompt& prompt, uint64_t draw) {
  if (prompt.has_schema) {
    nlohmann::ordered_json answer = nlohmann::ordered_json::object();  // reasoning first
    if (prompt.wants_reasoning) answer["reasoning"] = decision.reasoning;
    answer[prompt.answer_field] = decision.label;
    return answer.dump();
  }
  if (decision.label.empty()) return "I cannot tell which category this belongs to.";
  const std::string& label = decision.label;
  if (prompt.wants_reasoning) return fmt::format("{}\nLabel: {}", decision.reasoning, label);
  switch (draw % 20) {
    case 0:
    case 1:
    case 2:
      return fmt::format("Label: {}", label);
    case 3:
    case 4:
      return label + ".";
    case 5:
      return change_case(label, false);
    case 6:
      return capitalised(label);
    case 7:
      return change_case(label, true);
    case 8:
      return fmt::format("The ticket belongs to the category \"{}\".", label);
    case 9:
      return fmt::format("{}\n", label);
    default:
      return label;
  }
}

SimReply answer_request(const SimRequest& request, uint64_t draw, uint64_t sequence,
                        const std::vector<SimExample>* memory) {
  SimPrompt prompt = read_prompt(request.messages, request.schema);
  if (memory != nullptr)
    prompt.examples.insert(prompt.examples.end(), memory->begin(), memory->end());
  // The model name and temperature act through the learner's mechanism (capacity, score noise).
  SimDecision decision = decide(prompt, SimModel{request.model, request.temperature, draw});
  std::string text = render_answer(decision, prompt, draw);
  int64_t out = std::max<int64_t>(1, estimate_tokens(text.size()));
  bool truncated = false;
  // A forced tool's input is always complete: cutting it would not be valid JSON.
  if (request.max_tokens > 0 && out > request.max_tokens && request.tool_name.empty()) {
    text = truncate_to_tokens(text, request.max_tokens);
    out = request.max_tokens;
    truncated = true;
  }
  int64_t in = input_tokens(request);
  SimReply reply;
  reply.output_tokens = out;
  reply.body = request.api == SimApi::kChatCompletions
                   ? chat_completion(request, text, truncated ? "length" : "stop", in, out,
                                     sequence, decision.probability)
                   : message_reply(request, text, truncated, in, out, sequence);
  return reply;
}

int64_t estimate_tokens(std::size_t characters) {
  return static_cast<int64_t>((characters + 3) / 4);
}

nlohmann::json error_body(const std::string& message, const std::string& type,
                          const std::string& code) {
  return {{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}};
}

}  // namespace tunecase
