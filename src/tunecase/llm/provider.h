#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/llm/http_client.h"

namespace tunecase {

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
};

struct ChatOptions {
  std::string model;
  double temperature = 0;
  int max_tokens = 64;
  std::optional<int64_t> seed;  // sent where the API supports it (OpenAI)
  // null = free text; else a JSON schema of the answer object (structured output).
  nlohmann::json response_schema;
  nlohmann::json extra = nlohmann::json::object();  // merged into the top level of the body

  bool operator==(const ChatOptions&) const = default;
};

// Token counts as the provider billed them. `input` includes `cached_input` (read from the
// prompt cache) and the cache writes (`cache_write`: written to the prompt cache for 5 minutes,
// `cache_write_1h`: for an hour; Anthropic bills them above the input rate).
struct Usage {
  int64_t input = 0, output = 0, cached_input = 0;
  int64_t cache_write = 0, cache_write_1h = 0;
};

struct ChatAnswer {
  std::string text;  // the answer text; with structured output, the answer object as JSON
  Usage usage;
  std::string finish_reason;  // as the API reports it (stop, length, end_turn, tool_use, ...)
  bool simulated = false;     // the response came from `tunecase sim-llm`
  // exp(sum of the answer tokens' log-probabilities): the probability the model gave its whole
  // answer, when the API returned log-probabilities (OpenAI with `logprobs`), else none.
  std::optional<double> probability;
};

// A response the provider cannot read: an error status or a body of the wrong shape.
class ProviderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Translates between tunecase's chat model and one vendor API. Stateless after construction,
// so one instance serves any number of concurrent requests.
class Provider {
 public:
  virtual ~Provider() = default;
  virtual HttpRequest build_request(const std::vector<ChatMessage>& messages,
                                    const ChatOptions& options) const = 0;
  // Throws ProviderError when the status is not 2xx (message: status and the API's own error
  // message) or the body is not the API's response shape.
  virtual ChatAnswer parse_response(const HttpResponse& response) const = 0;
  virtual std::string endpoint() const = 0;  // URL without secrets, for cache keys and logs
};

// kind "openai" (Chat Completions at params base_url, default https://api.openai.com/v1) or
// "anthropic" (Messages at base_url, default https://api.anthropic.com/v1). The key is read once,
// here, from the environment variable named by params "api_key_env"; UserError when that
// variable is unset. Without api_key_env no auth header is sent (local OpenAI-compatible servers).
std::unique_ptr<Provider> make_provider(const ApproachConfig& approach);

// The key from the environment variable named by api_key_env ("" without one); UserError, with
// the config's line, when that variable is unset or empty.
std::string read_api_key(const ApproachConfig& approach);

// The API's own error text when the body carries one ({"error": {"message": ...}} or
// {"error": "..."}), else the body's first 200 bytes, made well-formed UTF-8.
std::string api_error_message(const std::string& body);

// True when the response carries `x-tunecase-simulated: 1` (sent by `tunecase sim-llm`).
bool is_simulated(const HttpResponse& response);

// Internals shared by the provider files.
namespace provider_detail {
std::unique_ptr<Provider> make_openai_provider(std::string base_url, std::string api_key);
std::unique_ptr<Provider> make_anthropic_provider(std::string base_url, std::string api_key);
// Parses a 2xx JSON body; throws ProviderError for other statuses (with the API's message).
nlohmann::json parse_body(const HttpResponse& response, const std::string& api_name);
// What a body that is not JSON is, for the message: compressed, a stream of events, an HTML
// page (a proxy's error page), or its first characters.
std::string what_came_instead(const HttpResponse& response);
// The answer of a Chat Completions body read as it streams past, without building the
// document: the common shape (choices[0].message.content a string, no log-probabilities). For
// anything else (another shape, invalid JSON) none, and the caller reads the whole document.
// `simulated` is left false: it comes from the headers.
std::optional<ChatAnswer> read_chat_completion(std::string_view body);
// The Chat Completions body of the OpenAI provider: the bytes nlohmann::json's dump() writes,
// with the messages (the prompt, the bulk of it) written directly.
std::string chat_completions_body(const std::vector<ChatMessage>& messages,
                                  const ChatOptions& options);
}  // namespace provider_detail

}  // namespace tunecase
