#include "tunecase/llm/provider.h"

#include <fmt/format.h>

#include <cstdlib>

#include "tunecase/core/error.h"
#include "tunecase/core/trim.h"
#include "tunecase/data/utf8_check.h"

namespace tunecase {

std::string api_error_message(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("error")) {
    const auto& error = json["error"];
    if (error.is_object() && error.contains("message") && error["message"].is_string())
      return error["message"].get<std::string>();
    if (error.is_string()) return error.get<std::string>();
  }
  // The first 200 bytes of whatever came (an HTML page, a proxy's text), cut inside a character
  // or not: made well-formed, since the message goes into JSON files and the store.
  return valid_utf8(body.substr(0, 200));
}

// Keys come from the environment only and are read once, so a run cannot switch keys midway.
// Whitespace around a key (a key file's last newline) goes, as a token's does: no key holds
// any. One left inside, or a control character, is refused before anything is sent (a newline
// had ended the Authorization header and started another); the value is never quoted.
std::string read_api_key(const ApproachConfig& approach) {
  const std::string& variable = approach.llm.api_key_env;
  if (variable.empty()) return "";
  const char* value = std::getenv(variable.c_str());
  const std::string where = approach.where.empty() ? "" : approach.where + ": ";
  std::string key = value ? trimmed(value) : std::string();
  if (key.empty()) {
    throw UserError(fmt::format(
        "{}approach '{}' reads its key from the environment variable {}, which {}; export it "
        "before running (keys are read from the environment only)",
        where, approach.name, variable,
        value == nullptr ? "is not set"
        : *value == '\0' ? "is set but empty"
                         : "holds only whitespace"));
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c > ' ' && c < 0x7f) continue;
    // Bytes, not characters: a non-ASCII character (a no-break space pasted from a web page) is
    // refused too, at its first byte; an API key is printable ASCII.
    throw UserError(fmt::format(
        "{}approach '{}': the key in the environment variable {} holds {} at byte {} of {}; an "
        "API key has none: export it again as the provider shows it",
        where, approach.name, variable,
        c == '\n' || c == '\r' ? "a line break"
        : c == '\t'            ? "a tab"
        : c == ' '             ? "a space"
        : c >= 0x80 ? "a character outside ASCII (a no-break space or a typographic quote, "
                      "pasted with it?)"
                    : "a control character",
        i + 1, key.size()));
  }
  return key;
}

std::unique_ptr<Provider> make_provider(const ApproachConfig& approach) {
  if (approach.kind == "openai") {
    return provider_detail::make_openai_provider(approach.llm.base_url, read_api_key(approach));
  }
  if (approach.kind == "anthropic") {
    return provider_detail::make_anthropic_provider(approach.llm.base_url, read_api_key(approach));
  }
  throw UserError(
      fmt::format("approach '{}': kind '{}' is not an LLM provider; use kind = \"openai\" (any "
                  "OpenAI-compatible server) or kind = \"anthropic\"",
                  approach.name, approach.kind));
}

bool is_simulated(const HttpResponse& response) {
  auto it = response.headers.find("x-tunecase-simulated");
  return it != response.headers.end() && it->second == "1";
}

namespace provider_detail {

namespace {

// Control characters as '?': the text goes into a one-line message.
std::string printable(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  return text;
}

std::string header_of(const HttpResponse& response, const char* name) {
  auto it = response.headers.find(name);
  return it == response.headers.end() ? std::string() : it->second;
}

}  // namespace

std::string what_came_instead(const HttpResponse& response) {
  const std::string encoding = header_of(response, "content-encoding");
  const std::string type = header_of(response, "content-type");
  if (!encoding.empty() && encoding != "identity")
    return fmt::format(
        ": it is compressed (Content-Encoding: {}), which tunecase does not ask for; turn "
        "compression off in the server or the proxy in front of it",
        printable(encoding.substr(0, 40)));
  if (type.starts_with("text/event-stream"))
    return ": it is a stream of events (text/event-stream), which tunecase does not ask for; "
           "turn streaming off in the server or the proxy in front of it";
  std::string start;
  for (char c : response.body.substr(0, 160)) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (!space)
      start.push_back(c);
    else if (!start.empty() && start.back() != ' ')
      start.push_back(' ');
  }
  start = valid_utf8(start.substr(0, 120));  // made well-formed: it goes into JSON and the store
  const bool html = type.starts_with("text/html") || start.find("<html") != std::string::npos ||
                    start.find("<!DOCTYPE") != std::string::npos ||
                    start.find("<!doctype") != std::string::npos;
  if (response.body.empty()) return " (an empty body)";
  return fmt::format(
      "{}, which began: {}",
      html ? ": an HTML page (a proxy's or load balancer's error page, or a sign-in page in "
             "front of the server): check what answers at base_url"
           : (type.empty() ? std::string()
                           : fmt::format(" (Content-Type: {})", printable(type.substr(0, 60)))),
      printable(start));
}

nlohmann::json parse_body(const HttpResponse& response, const std::string& api_name) {
  if (response.status < 200 || response.status >= 300) {
    throw ProviderError(fmt::format("{} answered HTTP {}: {}", api_name, response.status,
                                    api_error_message(response.body)));
  }
  auto json = nlohmann::json::parse(response.body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    throw ProviderError(fmt::format("{} answered HTTP {} with a body that is not a JSON object{}",
                                    api_name, response.status, what_came_instead(response)));
  }
  return json;
}

}  // namespace provider_detail
}  // namespace tunecase
