#include "tunecase/llm/provider.h"
#include "tunecase/config/approach_settings.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include <cstdlib>

#include "tunecase/core/error.h"
#include "tunecase/llm/sim_llm_server.h"

namespace tunecase {
namespace {

using nlohmann::json;

ApproachConfig approach(const std::string& kind, json params = json::object()) {
  params["name"] = "test-" + kind;
  params["kind"] = kind;
  return approach_from_json(params, "test.toml");
}

std::string header(const HttpRequest& r, const std::string& name) {
  for (const auto& [key, value] : r.headers)
    if (key == name) return value;
  return "<absent>";
}

const std::vector<ChatMessage> kMessages = {{"system", "Classify tickets."},
                                            {"user", "Text: my card was charged twice\nLabel:"}};

json label_schema() {
  return {{"type", "object"},
          {"properties", {{"label", {{"type", "string"}, {"enum", {"billing", "shipping"}}}}}},
          {"required", {"label"}},
          {"additionalProperties", false}};
}

TEST(OpenAiProvider, BuildsChatCompletionsRequestWithSchemaAndSeed) {
  ::setenv("TUNECASE_TEST_OPENAI_KEY", "sk-test-123", 1);
  auto provider = make_provider(approach("openai", {{"base_url", "http://localhost:1234/v1/"},
                                                    {"api_key_env", "TUNECASE_TEST_OPENAI_KEY"}}));
  ChatOptions options;
  options.model = "gpt-4o-mini";
  options.max_tokens = 20;
  options.seed = 42;
  options.response_schema = label_schema();
  options.extra = {{"top_p", 0.5}};
  auto request = provider->build_request(kMessages, options);

  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://localhost:1234/v1/chat/completions");
  EXPECT_EQ(provider->endpoint(), request.url);
  EXPECT_EQ(header(request, "Authorization"), "Bearer sk-test-123");
  auto body = json::parse(request.body);
  EXPECT_EQ(body["model"], "gpt-4o-mini");
  EXPECT_EQ(body["max_tokens"], 20);
  EXPECT_EQ(body["seed"], 42);
  EXPECT_EQ(body["temperature"], 0);
  EXPECT_EQ(body["top_p"], 0.5);
  EXPECT_EQ(body["messages"][0], (json{{"role", "system"}, {"content", "Classify tickets."}}));
  EXPECT_EQ(body["response_format"]["type"], "json_schema");
  EXPECT_EQ(body["response_format"]["json_schema"]["strict"], true);
  EXPECT_EQ(body["response_format"]["json_schema"]["schema"], label_schema());
}

TEST(OpenAiProvider, ReasoningModelsGetMaxCompletionTokens) {
  auto provider = make_provider(approach("openai"));
  ChatOptions options;
  options.model = "o4-mini";
  auto body = json::parse(provider->build_request(kMessages, options).body);
  EXPECT_FALSE(body.contains("max_tokens"));
  EXPECT_EQ(body["max_completion_tokens"], 64);
}

TEST(OpenAiProvider, WithoutKeyVariableSendsNoAuthHeaderAndDefaultsToOpenAi) {
  auto provider = make_provider(approach("openai"));
  auto request = provider->build_request(kMessages, ChatOptions{});
  EXPECT_EQ(request.url, "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(header(request, "Authorization"), "<absent>");
  EXPECT_FALSE(json::parse(request.body).contains("response_format"));
  EXPECT_FALSE(json::parse(request.body).contains("seed"));
}

TEST(Provider, MissingKeyVariableIsAUserErrorBeforeAnyRequest) {
  ::unsetenv("TUNECASE_TEST_UNSET_KEY");
  try {
    make_provider(approach("openai", {{"api_key_env", "TUNECASE_TEST_UNSET_KEY"}}));
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(),
                 "test.toml: approach 'test-openai' reads its key from the environment variable "
                 "TUNECASE_TEST_UNSET_KEY, which is not set; export it before running (keys are "
                 "read from the environment only)");
  }
  ::setenv("TUNECASE_TEST_UNSET_KEY", "", 1);  // exported, but empty: said as such
  try {
    make_provider(approach("openai", {{"api_key_env", "TUNECASE_TEST_UNSET_KEY"}}));
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("which is set but empty"), std::string::npos) << e.what();
  }
  ::unsetenv("TUNECASE_TEST_UNSET_KEY");
  EXPECT_THROW(make_provider(approach("anthropic", {{"api_key_env", "TUNECASE_TEST_UNSET_KEY"}})),
               UserError);
}

// A key file's last newline goes; a line break, space or control character inside a key is
// refused before anything is sent (a newline had ended the Authorization header and started
// another), and the message never quotes the key.
TEST(Provider, AKeyWithWhitespaceAroundIsTrimmedOneWithALineBreakInsideIsRefused) {
  ::setenv("TUNECASE_TEST_WS_KEY", " sk-test-SECRET123\n", 1);
  EXPECT_EQ(read_api_key(approach("openai", {{"api_key_env", "TUNECASE_TEST_WS_KEY"}})),
            "sk-test-SECRET123");
  ::setenv("TUNECASE_TEST_WS_KEY", " \t\n", 1);
  try {
    read_api_key(approach("openai", {{"api_key_env", "TUNECASE_TEST_WS_KEY"}}));
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("which holds only whitespace"), std::string::npos)
        << e.what();
  }
  for (const auto& [value, what] : std::vector<std::pair<std::string, std::string>>{
           {"sk-test-SECRET123\nX-Injected: yes", "a line break at byte 18 of 33"},
           {"sk-test SECRET123", "a space at byte 8 of 17"},
           {"sk-test\tSECRET123", "a tab at byte 8 of 17"},
           {"sk-test\u00a0SECRET123", "a character outside ASCII"},
           {std::string("sk-test\x01SECRET123"), "a control character at byte 8 of 17"}}) {
    ::setenv("TUNECASE_TEST_WS_KEY", value.c_str(), 1);
    try {
      make_provider(approach("openai", {{"api_key_env", "TUNECASE_TEST_WS_KEY"}}));
      FAIL() << "expected UserError for " << what;
    } catch (const UserError& e) {
      const std::string message = e.what();
      EXPECT_NE(
          message.find("the key in the environment variable TUNECASE_TEST_WS_KEY holds " + what),
          std::string::npos)
          << message;
      EXPECT_EQ(message.find("SECRET123"), std::string::npos) << message;
    }
  }
  ::unsetenv("TUNECASE_TEST_WS_KEY");
}

TEST(Provider, UnknownKindIsAUserError) {
  EXPECT_THROW(make_provider(approach("linear")), UserError);
}

TEST(OpenAiProvider, ParsesTextUsageAndSimulatedFlag) {
  HttpResponse response;
  response.status = 200;
  response.headers["x-tunecase-simulated"] = "1";
  response.body = R"({"choices":[{"index":0,"message":{"role":"assistant","content":"billing"},
    "finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":3,
    "prompt_tokens_details":{"cached_tokens":64}}})";
  auto answer = make_provider(approach("openai"))->parse_response(response);
  EXPECT_EQ(answer.text, "billing");
  EXPECT_EQ(answer.finish_reason, "stop");
  EXPECT_EQ(answer.usage.input, 120);
  EXPECT_EQ(answer.usage.output, 3);
  EXPECT_EQ(answer.usage.cached_input, 64);
  EXPECT_TRUE(answer.simulated);
}

TEST(OpenAiProvider, LogprobsGiveTheAnswersProbability) {
  HttpResponse response;
  response.status = 200;
  response.body = R"({"choices":[{"index":0,"message":{"role":"assistant","content":"billing"},
    "logprobs":{"content":[{"token":"bill","logprob":-0.1},{"token":"ing","logprob":-0.2}]},
    "finish_reason":"stop"}]})";
  auto provider = make_provider(approach("openai"));
  EXPECT_NEAR(provider->parse_response(response).probability.value_or(-1), std::exp(-0.3), 1e-12);
  response.body = R"({"choices":[{"index":0,"message":{"content":"billing"},"logprobs":null}]})";
  EXPECT_FALSE(provider->parse_response(response).probability.has_value());
  response.body =
      R"({"choices":[{"index":0,"message":{"content":"billing"},"logprobs":{"content":[]}}]})";
  EXPECT_FALSE(provider->parse_response(response).probability.has_value());
}

TEST(OpenAiProvider, MalformedBodyOrErrorStatusThrowsProviderError) {
  auto provider = make_provider(approach("openai"));
  HttpResponse response;
  response.status = 200;
  // Said in words, not as the JSON library's "array index 0 is out of range".
  for (const auto& [body, said] :
       {std::pair{R"({"choices":[]})", "\"choices\" is empty"},
        std::pair{R"({"object":"list","data":[]})", "no \"choices\" list"},
        std::pair{R"({"choices":[{"index":0,"finish_reason":"content_filter"}]})",
                  "choices[0] has no \"message\""}}) {
    response.body = body;
    try {
      provider->parse_response(response);
      ADD_FAILURE() << body;
    } catch (const ProviderError& e) {
      EXPECT_NE(std::string(e.what()).find(said), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("json.exception"), std::string::npos) << e.what();
    }
  }
  response.body = "<html>gateway</html>";
  EXPECT_THROW(provider->parse_response(response), ProviderError);
  response.status = 429;
  response.body = R"({"error":{"message":"Rate limit reached","type":"rate_limit_error"}})";
  try {
    provider->parse_response(response);
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 429: Rate limit reached"), std::string::npos);
  }
}

TEST(OpenAiProvider, AnOutputCountLeftOutOrNullIsUnknownNotZero) {
  // LiteLLM and some self-hosted servers send "completion_tokens": null, or leave it out: read
  // as 0, the answer had been priced at its input alone, as measured, and a cap passed.
  auto provider = make_provider(approach("openai"));
  HttpResponse response;
  response.status = 200;
  for (const char* usage :
       {R"({"prompt_tokens":271,"completion_tokens":null})", R"({"prompt_tokens":271})",
        R"({"prompt_tokens":271,"total_tokens":9})"}) {
    response.body = fmt::format(
        R"({{"choices":[{{"message":{{"content":"billing"}},"finish_reason":"stop"}}],"usage":{}}})",
        usage);
    ChatAnswer answer = provider->parse_response(response);
    EXPECT_EQ(answer.usage.input, 271) << usage;
    EXPECT_LT(answer.usage.output, 0) << usage;  // usage_known() refuses it (tests/runner)
  }
}

TEST(OpenAiProvider, ABodyThatIsNotJsonIsNamed) {
  // An event stream, a compressed body or a proxy's HTML page answered with 200: each is said as
  // what it is, with what to do, not only "not a JSON object".
  auto provider = make_provider(approach("openai"));
  auto said = [&](HttpResponse response) {
    response.status = 200;
    try {
      provider->parse_response(response);
    } catch (const ProviderError& e) {
      return std::string(e.what());
    }
    return std::string("(read)");
  };
  HttpResponse sse;
  sse.headers["content-type"] = "text/event-stream";
  sse.body = "data: {\"choices\":[]}\n\n";
  EXPECT_NE(said(sse).find("text/event-stream"), std::string::npos) << said(sse);
  HttpResponse gzip;
  gzip.headers["content-encoding"] = "gzip";
  gzip.body = std::string("\x1f\x8b\x08\x00", 4);
  EXPECT_NE(said(gzip).find("Content-Encoding: gzip"), std::string::npos) << said(gzip);
  HttpResponse html;
  html.headers["content-type"] = "text/html";
  html.body = "<!DOCTYPE html>\n<html><title>502 Bad Gateway</title>";
  EXPECT_NE(said(html).find("an HTML page"), std::string::npos) << said(html);
  EXPECT_NE(said(html).find("502 Bad Gateway"), std::string::npos) << said(html);
  EXPECT_EQ(said(html).find('\n'), std::string::npos) << said(html);
}

TEST(AnthropicProvider, BuildsMessagesRequestWithSystemAndForcedTool) {
  ::setenv("TUNECASE_TEST_ANTHROPIC_KEY", "sk-ant-xyz", 1);
  auto provider =
      make_provider(approach("anthropic", {{"api_key_env", "TUNECASE_TEST_ANTHROPIC_KEY"}}));
  ChatOptions options;
  options.model = "claude-3-5-haiku-latest";
  options.seed = 7;  // not supported by the API: must not be sent
  options.response_schema = label_schema();
  auto request = provider->build_request(kMessages, options);
  EXPECT_EQ(request.url, "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(header(request, "x-api-key"), "sk-ant-xyz");
  EXPECT_EQ(header(request, "anthropic-version"), "2023-06-01");
  EXPECT_EQ(header(request, "Authorization"), "<absent>");
  auto body = json::parse(request.body);
  EXPECT_EQ(body["system"], "Classify tickets.");
  ASSERT_EQ(body["messages"].size(), 1u);
  EXPECT_EQ(body["messages"][0]["role"], "user");
  EXPECT_EQ(body["max_tokens"], 64);
  EXPECT_FALSE(body.contains("seed"));
  EXPECT_EQ(body["tools"][0]["input_schema"], label_schema());
  EXPECT_EQ(body["tool_choice"], (json{{"type", "tool"}, {"name", body["tools"][0]["name"]}}));
}

TEST(AnthropicProvider, ParsesToolInputAsAnswerTextAndCountsCacheReadsAsInput) {
  HttpResponse response;
  response.status = 200;
  response.body = R"({"type":"message","content":[{"type":"tool_use","id":"t1","name":"answer",
    "input":{"label":"shipping"}}],"stop_reason":"tool_use",
    "usage":{"input_tokens":100,"cache_read_input_tokens":50,"output_tokens":9}})";
  auto answer = make_provider(approach("anthropic"))->parse_response(response);
  EXPECT_EQ(json::parse(answer.text), (json{{"label", "shipping"}}));
  EXPECT_EQ(answer.finish_reason, "tool_use");
  EXPECT_EQ(answer.usage.input, 150);
  EXPECT_EQ(answer.usage.cached_input, 50);
  EXPECT_EQ(answer.usage.output, 9);
  EXPECT_FALSE(answer.simulated);
  // Cache writes count as input, split by how long they are kept when the answer says.
  response.body = R"({"type":"message","content":[{"type":"text","text":"x"}],
    "usage":{"input_tokens":10,"cache_read_input_tokens":20,"cache_creation_input_tokens":300,
    "cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":200},
    "output_tokens":1}})";
  auto written = make_provider(approach("anthropic"))->parse_response(response);
  EXPECT_EQ(written.usage.input, 330);
  EXPECT_EQ(written.usage.cached_input, 20);
  EXPECT_EQ(written.usage.cache_write, 100);
  EXPECT_EQ(written.usage.cache_write_1h, 200);
}

TEST(AnthropicProvider, JoinsTextBlocks) {
  HttpResponse response;
  response.status = 200;
  response.body = R"({"content":[{"type":"text","text":"Label: "},{"type":"text","text":"billing"}],
    "stop_reason":"end_turn","usage":{"input_tokens":10,"output_tokens":2}})";
  EXPECT_EQ(make_provider(approach("anthropic"))->parse_response(response).text, "Label: billing");
}

// Both providers against sim-llm: the request each builds is one the server accepts, and the
// answer round-trips through parse_response.
TEST(Provider, RoundTripsThroughSimLlmForBothApis) {
  SimLlmServer server(SimLlmOptions{});
  int port = server.start();
  auto client = make_http_client();
  std::string base = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  for (const char* kind : {"openai", "anthropic"}) {
    auto provider = make_provider(approach(kind, {{"base_url", base}}));
    ChatOptions options;
    options.model = "sim";
    options.response_schema = label_schema();
    auto messages = kMessages;
    messages[0].content +=
        "\nLabels:\n- billing: charges, refunds, invoices\n- shipping: parcels\n";
    auto answer = provider->parse_response(
        http_send_sync(*client, provider->build_request(messages, options)));
    EXPECT_EQ(json::parse(answer.text)["label"], "billing") << kind;
    EXPECT_TRUE(answer.simulated) << kind;
    EXPECT_GT(answer.usage.input, 10) << kind;
    EXPECT_GT(answer.usage.output, 0) << kind;
  }
  EXPECT_EQ(server.stats().completions, 2u);
}

}  // namespace
}  // namespace tunecase
