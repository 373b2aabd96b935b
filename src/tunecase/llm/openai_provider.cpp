// The OpenAI Chat Completions API, also spoken by vLLM, llama.cpp, Ollama, TGI and gateways.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tunecase/llm/provider.h"

namespace tunecase::provider_detail {
namespace {

// Reasoning models reject `max_tokens` and take `max_completion_tokens` instead.
bool wants_max_completion_tokens(const std::string& model) {
  return model.starts_with("o1") || model.starts_with("o3") || model.starts_with("o4") ||
         model.starts_with("gpt-5");
}

int64_t integer_or_zero(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// Strict structured output generates fields in the order of `properties`: list them as
// `required` does, so that a chain-of-thought schema gets its reasoning before its label.
// (nlohmann::json sorts keys; ordered_json keeps insertion order.)
nlohmann::ordered_json schema_in_required_order(const nlohmann::json& schema) {
  nlohmann::ordered_json out = schema;
  auto props = schema.find("properties");
  auto required = schema.find("required");
  if (props == schema.end() || !props->is_object() || required == schema.end() ||
      !required->is_array()) {
    return out;
  }
  nlohmann::ordered_json ordered = nlohmann::ordered_json::object();
  for (const auto& name : *required) {
    if (name.is_string() && props->contains(name.get<std::string>())) {
      ordered[name.get<std::string>()] = (*props)[name.get<std::string>()];
    }
  }
  for (const auto& [name, value] : props->items()) {
    if (!ordered.contains(name)) ordered[name] = value;
  }
  out["properties"] = std::move(ordered);
  return out;
}

class OpenAiProvider final : public Provider {
 public:
  OpenAiProvider(std::string base_url, std::string api_key)
      : url_(base_url + "/chat/completions"), api_key_(std::move(api_key)) {}

  HttpRequest build_request(const std::vector<ChatMessage>& messages,
                            const ChatOptions& options) const override {
    nlohmann::ordered_json body = {{"model", options.model}, {"temperature", options.temperature}};
    body["messages"] = nlohmann::ordered_json::array();
    for (const auto& m : messages)
      body["messages"].push_back({{"role", m.role}, {"content", m.content}});
    body[wants_max_completion_tokens(options.model) ? "max_completion_tokens" : "max_tokens"] =
        options.max_tokens;
    if (options.seed) body["seed"] = *options.seed;
    if (!options.response_schema.is_null()) {
      body["response_format"] = {{"type", "json_schema"},
                                 {"json_schema",
                                  {{"name", "answer"},
                                   {"strict", true},
                                   {"schema", schema_in_required_order(options.response_schema)}}}};
    }
    if (options.extra.is_object()) body.update(nlohmann::ordered_json(options.extra));

    HttpRequest request;
    request.url = url_;
    request.headers.emplace_back("Content-Type", "application/json");
    if (!api_key_.empty()) request.headers.emplace_back("Authorization", "Bearer " + api_key_);
    request.body = body.dump();
    return request;
  }

  ChatAnswer parse_response(const HttpResponse& response) const override {
    auto json = parse_body(response, "the Chat Completions API");
    try {
      const auto& choice = json.at("choices").at(0);
      const auto& message = choice.at("message");
      ChatAnswer answer;
      answer.text = message_text(message);
      if (choice.contains("finish_reason") && choice["finish_reason"].is_string())
        answer.finish_reason = choice["finish_reason"].get<std::string>();
      if (json.contains("usage") && json["usage"].is_object()) {
        const auto& usage = json["usage"];
        answer.usage.input = integer_or_zero(usage, "prompt_tokens");
        answer.usage.output = integer_or_zero(usage, "completion_tokens");
        if (usage.contains("prompt_tokens_details") && usage["prompt_tokens_details"].is_object())
          answer.usage.cached_input =
              integer_or_zero(usage["prompt_tokens_details"], "cached_tokens");
      }
      answer.simulated = is_simulated(response);
      answer.probability = answer_probability(choice);
      return answer;
    } catch (const nlohmann::json::exception& e) {
      throw ProviderError(fmt::format(
          "the Chat Completions API answered a body of an unexpected shape: {}", e.what()));
    }
  }

  std::string endpoint() const override { return url_; }

 private:
  // choices[0].logprobs.content[].logprob summed and exponentiated; none when absent or empty.
  static std::optional<double> answer_probability(const nlohmann::json& choice) {
    auto it = choice.find("logprobs");
    if (it == choice.end() || !it->is_object()) return std::nullopt;
    auto content = it->find("content");
    if (content == it->end() || !content->is_array() || content->empty()) return std::nullopt;
    double sum = 0;
    for (const auto& token : *content) {
      auto lp = token.find("logprob");
      if (lp == token.end() || !lp->is_number()) return std::nullopt;
      sum += lp->get<double>();
    }
    return std::clamp(std::exp(sum), 0.0, 1.0);
  }

  // content, else a refusal, else the arguments of a forced function call.
  static std::string message_text(const nlohmann::json& message) {
    if (message.contains("content") && message["content"].is_string())
      return message["content"].get<std::string>();
    if (message.contains("refusal") && message["refusal"].is_string())
      return message["refusal"].get<std::string>();
    if (message.contains("tool_calls") && message["tool_calls"].is_array() &&
        !message["tool_calls"].empty())
      return message["tool_calls"][0].at("function").at("arguments").get<std::string>();
    return "";
  }

  std::string url_;
  std::string api_key_;
};

}  // namespace

std::unique_ptr<Provider> make_openai_provider(std::string base_url, std::string api_key) {
  return std::make_unique<OpenAiProvider>(std::move(base_url), std::move(api_key));
}

}  // namespace tunecase::provider_detail
