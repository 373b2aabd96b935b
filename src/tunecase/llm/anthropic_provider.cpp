// The Anthropic Messages API.
#include <algorithm>

#include <fmt/format.h>

#include "tunecase/llm/provider.h"

namespace tunecase::provider_detail {
namespace {

constexpr const char* kAnswerTool = "answer";

int64_t integer_or_zero(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

class AnthropicProvider final : public Provider {
 public:
  AnthropicProvider(std::string base_url, std::string api_key)
      : url_(base_url + "/messages"), api_key_(std::move(api_key)) {}

  HttpRequest build_request(const std::vector<ChatMessage>& messages,
                            const ChatOptions& options) const override {
    nlohmann::json body = {{"model", options.model},
                           {"max_tokens", options.max_tokens},
                           {"temperature", options.temperature}};
    // The Messages API has no system role: system text goes to the top-level field.
    std::string system;
    body["messages"] = nlohmann::json::array();
    for (const auto& m : messages) {
      if (m.role == "system") {
        if (!system.empty()) system += "\n\n";
        system += m.content;
      } else {
        body["messages"].push_back({{"role", m.role}, {"content", m.content}});
      }
    }
    if (!system.empty()) body["system"] = system;
    // Structured output: one tool whose input is the answer object, and the model forced to call
    // it. (The API takes no seed.)
    if (!options.response_schema.is_null()) {
      body["tools"] = nlohmann::json::array({{{"name", kAnswerTool},
                                              {"description", "Record the answer."},
                                              {"input_schema", options.response_schema}}});
      body["tool_choice"] = {{"type", "tool"}, {"name", kAnswerTool}};
    }
    if (options.extra.is_object()) body.update(options.extra);

    HttpRequest request;
    request.url = url_;
    request.headers.emplace_back("Content-Type", "application/json");
    request.headers.emplace_back("anthropic-version", "2023-06-01");
    if (!api_key_.empty()) request.headers.emplace_back("x-api-key", api_key_);
    request.body = body.dump();
    return request;
  }

  ChatAnswer parse_response(const HttpResponse& response) const override {
    auto json = parse_body(response, "the Messages API");
    if (!json.contains("content") || !json["content"].is_array())
      throw ProviderError(fmt::format(
          "the Messages API answered HTTP {} without a \"content\" list; a base_url that is not "
          "the Messages API answers this way. The body began: {}",
          response.status, json.dump(-1, ' ', true).substr(0, 200)));
    try {
      ChatAnswer answer;
      answer.text = content_text(json.at("content"));
      if (json.contains("stop_reason") && json["stop_reason"].is_string())
        answer.finish_reason = json["stop_reason"].get<std::string>();
      if (json.contains("usage") && json["usage"].is_object()) {
        const auto& usage = json["usage"];
        int64_t cache_read = integer_or_zero(usage, "cache_read_input_tokens");
        int64_t cache_write = integer_or_zero(usage, "cache_creation_input_tokens");
        // input_tokens excludes cache reads and writes; Usage::input counts every input token.
        answer.usage.input = integer_or_zero(usage, "input_tokens") + cache_read + cache_write;
        answer.usage.cached_input = cache_read;
        // Writes for an hour are billed higher than writes for 5 minutes: split when the answer
        // says how many were which (cache_creation), else all at the 5-minute rate.
        int64_t hour = 0;
        if (usage.contains("cache_creation") && usage["cache_creation"].is_object())
          hour = std::clamp<int64_t>(
              integer_or_zero(usage["cache_creation"], "ephemeral_1h_input_tokens"), 0,
              cache_write);
        answer.usage.cache_write = cache_write - hour;
        answer.usage.cache_write_1h = hour;
        answer.usage.output = integer_or_zero(usage, "output_tokens");
      }
      answer.simulated = is_simulated(response);
      return answer;
    } catch (const nlohmann::json::exception& e) {
      throw ProviderError(
          fmt::format("the Messages API answered a body of an unexpected shape: {}", e.what()));
    }
  }

  std::string endpoint() const override { return url_; }

 private:
  // The forced tool's input (serialised) when present, else the text blocks joined.
  static std::string content_text(const nlohmann::json& content) {
    std::string text;
    for (const auto& block : content) {
      auto type = block.value("type", "");
      if (type == "tool_use") return block.at("input").dump();
      if (type == "text") text += block.at("text").get<std::string>();
    }
    return text;
  }

  std::string url_;
  std::string api_key_;
};

}  // namespace

std::unique_ptr<Provider> make_anthropic_provider(std::string base_url, std::string api_key) {
  return std::make_unique<AnthropicProvider>(std::move(base_url), std::move(api_key));
}

}  // namespace tunecase::provider_detail
