#include "tunecase/llm/sim_llm_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

#include "tunecase/config/approach_settings.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/provider.h"
#include "tunecase/llm/sim_llm_api.h"
#include "tunecase/llm/sim_llm_learner.h"
#include "tunecase/llm/sim_llm_prompt.h"

namespace tunecase {
namespace {

using nlohmann::json;

const char* kLabels =
    "Classify the support ticket.\nLabels:\n"
    "- billing: charges, refunds, invoices and payment cards\n"
    "- shipping: parcels, delivery, tracking and couriers\n"
    "- account: login, password and profile settings\n";

std::unique_ptr<Provider> make_provider_for_test() {
  return make_provider(approach_from_json({{"name", "sim"}, {"kind", "openai"}}, "test.toml"));
}

std::vector<ChatMessage> zero_shot(const std::string& ticket) {
  return {{"system", kLabels}, {"user", "Text: " + ticket + "\nLabel:"}};
}

TEST(SimPrompt, ReadsLabelsDescriptionsExamplesAndQuery) {
  std::vector<ChatMessage> messages = {
      {"system", std::string(kLabels) + "\nText: where is my parcel\nLabel: shipping\n"},
      {"user", "Text: I cannot log in\nafter the update\nLabel:"}};
  auto prompt = read_prompt(messages, nullptr);
  EXPECT_EQ(prompt.labels, (std::vector<std::string>{"billing", "shipping", "account"}));
  EXPECT_EQ(prompt.descriptions.at("account"), "login, password and profile settings");
  ASSERT_EQ(prompt.examples.size(), 1u);
  EXPECT_EQ(prompt.examples[0].text, "where is my parcel");
  EXPECT_EQ(prompt.examples[0].label, "shipping");
  EXPECT_EQ(prompt.query, "I cannot log in\nafter the update");
  EXPECT_FALSE(prompt.wants_reasoning);
}

TEST(SimPrompt, ReadsQuotedLabelsWholeWithTheirDescriptions) {
  std::vector<ChatMessage> messages = {
      {"system",
       "Classify.\nLabels:\n- \"Team 4: ops\": the operations team\n- \"multi\\nline\"\n\n"
       "Answer with the label only, exactly as written in the list, in its double quotes."},
      {"user", "Text: servers down\nLabel: \"Team 4: ops\"\n\nText: the query\nLabel:"}};
  auto prompt = read_prompt(messages, nullptr);
  EXPECT_EQ(prompt.labels, (std::vector<std::string>{"Team 4: ops", "multi\nline"}));
  EXPECT_EQ(prompt.descriptions.at("Team 4: ops"), "the operations team");
  ASSERT_EQ(prompt.examples.size(), 1u);
  EXPECT_EQ(prompt.examples[0].label, "Team 4: ops");
  EXPECT_EQ(prompt.query, "the query");
}

TEST(SimPrompt, ReadsChatPairsAsExamplesAndWholeLastMessageAsQuery) {
  std::vector<ChatMessage> messages = {{"system", "Answer with a label."},
                                       {"user", "refund my order please"},
                                       {"assistant", "billing"},
                                       {"user", "Text: parcel lost\nLabel:"},
                                       {"assistant", "{\"label\": \"shipping\"}"},
                                       {"user", "my password expired"}};
  auto prompt = read_prompt(messages, nullptr);
  ASSERT_EQ(prompt.examples.size(), 2u);
  EXPECT_EQ(prompt.examples[0].text, "refund my order please");
  EXPECT_EQ(prompt.examples[0].label, "billing");
  EXPECT_EQ(prompt.examples[1].text, "parcel lost");
  EXPECT_EQ(prompt.examples[1].label, "shipping");
  EXPECT_EQ(prompt.query, "my password expired");
  EXPECT_EQ(prompt.labels, (std::vector<std::string>{"billing", "shipping"}));
}

TEST(SimPrompt, SchemaEnumGivesLabelsAndReasoningFlag) {
  json schema = {{"type", "object"},
                 {"properties",
                  {{"reasoning", {{"type", "string"}}},
                   {"category", {{"type", "string"}, {"enum", {"a", "b"}}}}}}};
  auto prompt = read_prompt({{"user", "Text: x\nLabel:"}}, schema);
  EXPECT_EQ(prompt.labels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(prompt.answer_field, "category");
  EXPECT_TRUE(prompt.wants_reasoning);
  EXPECT_TRUE(prompt.has_schema);
}

TEST(SimLearner, ZeroShotPicksTheLabelWhoseDescriptionOverlaps) {
  EXPECT_EQ(decide(read_prompt(zero_shot("I was charged twice, please refund me"), nullptr)).label,
            "billing");
  EXPECT_EQ(decide(read_prompt(zero_shot("The courier lost my parcel"), nullptr)).label,
            "shipping");
  EXPECT_EQ(decide(read_prompt(zero_shot("Password reset does not work"), nullptr)).label,
            "account");
}

TEST(SimLearner, FewShotPicksTheNearestExamplesLabel) {
  // No description word overlaps; only the examples can tell.
  std::string system =
      "Labels:\n- alpha\n- beta\n\n"
      "Text: the blue widget squeaks loudly\nLabel: alpha\n"
      "Text: green gadget overheats at night\nLabel: beta\n"
      "Text: widget squeaks when turned\nLabel: alpha\n";
  auto decision = decide(read_prompt(
      {{"system", system}, {"user", "Text: my green gadget overheats\nLabel:"}}, nullptr));
  EXPECT_EQ(decision.label, "beta");
  EXPECT_TRUE(decision.from_examples);
  decision = decide(read_prompt(
      {{"system", system}, {"user", "Text: squeaks from the widget\nLabel:"}}, nullptr));
  EXPECT_EQ(decision.label, "alpha");
}

TEST(SimLearner, SmallModelsReadLabelNamesOnly) {
  auto prompt = read_prompt(zero_shot("my parcel never arrived"), nullptr);  // description words
  EXPECT_EQ(decide(prompt, SimModel{"sim-large", 0, 0}).label, "shipping");
  EXPECT_EQ(decide(prompt, SimModel{"gpt-4o-mini", 0, 0}).reasoning.rfind("No word", 0), 0u);
  EXPECT_TRUE(is_small_model("Claude-Nano"));
  EXPECT_FALSE(is_small_model("gpt-4o"));
}

TEST(SimLearner, ExamplesAddToTheLabelListInsteadOfReplacingIt) {
  // One example shares a word with the query but the label list clearly says billing.
  std::string system = std::string(kLabels) + "\nText: card reader broken\nLabel: account\n";
  auto decision = decide(read_prompt(
      {{"system", system}, {"user", "Text: refund the double charges on my card\nLabel:"}},
      nullptr));
  EXPECT_EQ(decision.label, "billing");
}

TEST(SimLearner, TemperatureFlipsSomeAnswersButEqualRequestsAgree) {
  int flipped = 0;
  for (int i = 0; i < 40; ++i) {
    auto prompt = read_prompt(zero_shot("refund my parcel login " + std::to_string(i)), nullptr);
    auto cold = decide(prompt, SimModel{"sim-llm", 0, 1}).label;
    auto hot = decide(prompt, SimModel{"sim-llm", 1.5, 1}).label;
    EXPECT_EQ(hot, decide(prompt, SimModel{"sim-llm", 1.5, 1}).label);
    flipped += hot != cold;
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 40);
}

TEST(SimLearner, UninformativeQueriesSpreadOverLabels) {
  std::set<std::string> chosen;
  for (int i = 0; i < 30; ++i)
    chosen.insert(decide(read_prompt(zero_shot("zzq " + std::to_string(i)), nullptr)).label);
  EXPECT_GE(chosen.size(), 2u);
}

// Between two tied labels the pick does not follow the text's length: with FNV-1a's lowest bit
// (the parity of the text's odd bytes) it had, and texts of one character repeated gave one
// label for every odd length and the other for every even one (a simulated 0% where chance is
// 50%).
TEST(SimLearner, ATieBetweenTwoLabelsDoesNotFollowTheTextsLength) {
  SimPrompt prompt;
  prompt.labels = {"a", "b"};
  std::map<std::pair<bool, std::string>, int> picks;  // (odd length, label) -> count
  for (std::size_t n = 1; n <= 60; ++n) {
    prompt.query = std::string(n, '!');
    ++picks[{n % 2 == 1, decide(prompt).label}];
  }
  for (bool odd : {false, true})
    for (const char* label : {"a", "b"})
      EXPECT_GE((picks[{odd, label}]), 5) << (odd ? "odd" : "even") << " lengths, label " << label;
}

TEST(SimAnswer, FreeTextFormsAllContainTheLabel) {
  SimDecision decision{"billing", "why", false};
  SimPrompt prompt;
  std::set<std::string> forms;
  for (uint64_t draw = 0; draw < 20; ++draw) {
    auto text = render_answer(decision, prompt, draw);
    forms.insert(text);
    std::string folded = text;
    for (auto& c : folded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(folded.find("billing"), std::string::npos) << text;
  }
  EXPECT_GE(forms.size(), 5u);
}

// --- over HTTP ---

class SimServerTest : public ::testing::Test {
 protected:
  void start(SimLlmOptions options = {}) {
    server_ = std::make_unique<SimLlmServer>(options);
    port_ = server_->start();
  }
  HttpResponse post(const std::string& path, const std::string& body) {
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(port_) + path;
    request.body = body;
    request.timeout = std::chrono::milliseconds(2000);
    return http_send_sync(*client_, request);
  }
  static std::string chat(const std::vector<ChatMessage>& messages, json extra = json::object()) {
    // Full capacity: names with "small"/"mini" select the small model, which ignores descriptions.
    json body = {{"model", "sim-llm"}, {"messages", json::array()}};
    for (const auto& m : messages)
      body["messages"].push_back({{"role", m.role}, {"content", m.content}});
    body.update(extra);
    return body.dump();
  }
  std::unique_ptr<SimLlmServer> server_;
  int port_ = 0;
  std::unique_ptr<HttpClient> client_ = make_http_client();
};

TEST_F(SimServerTest, ChatCompletionsHasOpenAiShapeAndUsage) {
  start();
  auto response = post("/v1/chat/completions", chat(zero_shot("refund my invoice")));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers.at("x-tunecase-simulated"), "1");
  auto body = json::parse(response.body);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "sim-llm");
  EXPECT_EQ(body["system_fingerprint"], "tunecase-sim-llm");
  EXPECT_TRUE(body["id"].get<std::string>().starts_with("chatcmpl-"));
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  auto content = body["choices"][0]["message"]["content"].get<std::string>();
  EXPECT_NE(content.find("illing"), std::string::npos) << content;
  // ceil(chars / 4) + 4 per message + 3
  int64_t expected_in = 3;
  for (const auto& m : zero_shot("refund my invoice"))
    expected_in += (m.content.size() + 3) / 4 + 4;
  EXPECT_EQ(body["usage"]["prompt_tokens"], expected_in);
  EXPECT_EQ(body["usage"]["completion_tokens"], (content.size() + 3) / 4);
  EXPECT_EQ(body["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
}

// Asked for log-probabilities, sim-llm reports its learner's probability of the label: higher
// for a ticket whose words all point at one label than for one that shares none with any.
TEST_F(SimServerTest, LogprobsCarryTheLearnersProbabilityWhenAsked) {
  start();
  auto probability = [&](const std::string& ticket) {
    auto response = post("/v1/chat/completions", chat(zero_shot(ticket), json{{"logprobs", true}}));
    EXPECT_EQ(response.status, 200) << response.body;
    auto body = json::parse(response.body);
    const auto& content = body["choices"][0]["logprobs"]["content"];
    EXPECT_EQ(content.size(), 1u);
    double p = std::exp(content[0]["logprob"].get<double>());
    auto answer = make_provider_for_test()->parse_response(response);
    EXPECT_NEAR(answer.probability.value_or(-1), p, 1e-9);
    return p;
  };
  double clear = probability("refund the charges on my invoice and payment card");
  double vague = probability("hello there");
  EXPECT_GT(clear, 0.5);
  EXPECT_LE(clear, 1.0);
  EXPECT_LT(vague, clear);
  auto plain = json::parse(post("/v1/chat/completions", chat(zero_shot("refund"))).body);
  EXPECT_TRUE(plain["choices"][0]["logprobs"].is_null());
}

TEST_F(SimServerTest, SchemaAnswersParseAsJsonWithReasoningWhenAsked) {
  start();
  json schema = {{"type", "object"},
                 {"properties",
                  {{"reasoning", {{"type", "string"}}},
                   {"label", {{"type", "string"}, {"enum", {"billing", "shipping", "account"}}}}}}};
  json format = {{"response_format",
                  {{"type", "json_schema"},
                   {"json_schema", {{"name", "a"}, {"strict", true}, {"schema", schema}}}}}};
  auto response =
      post("/v1/chat/completions", chat(zero_shot("tracking number of my parcel"), format));
  ASSERT_EQ(response.status, 200) << response.body;
  auto answer = json::parse(
      json::parse(response.body)["choices"][0]["message"]["content"].get<std::string>());
  EXPECT_EQ(answer["label"], "shipping");
  EXPECT_FALSE(answer["reasoning"].get<std::string>().empty());
  // Reasoning comes before the label, as chain-of-thought answers are written.
  auto raw = json::parse(response.body)["choices"][0]["message"]["content"].get<std::string>();
  EXPECT_LT(raw.find("reasoning"), raw.find("label")) << raw;
}

TEST_F(SimServerTest, MessagesApiAnswersForcedToolWithToolUse) {
  start();
  json schema = {
      {"type", "object"},
      {"properties", {{"label", {{"type", "string"}, {"enum", {"billing", "shipping"}}}}}}};
  json body = {{"model", "claude-sim"},
               {"max_tokens", 50},
               {"system", kLabels},
               {"messages", {{{"role", "user"}, {"content", "Text: card payment failed\nLabel:"}}}},
               {"tools", {{{"name", "answer"}, {"input_schema", schema}}}},
               {"tool_choice", {{"type", "tool"}, {"name", "answer"}}}};
  auto response = post("/v1/messages", body.dump());
  ASSERT_EQ(response.status, 200) << response.body;
  auto reply = json::parse(response.body);
  EXPECT_EQ(reply["type"], "message");
  EXPECT_EQ(reply["stop_reason"], "tool_use");
  EXPECT_EQ(reply["content"][0]["type"], "tool_use");
  EXPECT_EQ(reply["content"][0]["input"]["label"], "billing");
  EXPECT_GT(reply["usage"]["input_tokens"].get<int>(), 0);
  EXPECT_GT(reply["usage"]["output_tokens"].get<int>(), 0);
}

TEST_F(SimServerTest, MalformedJsonIs400WithOpenAiErrorObject) {
  start();
  auto response = post("/v1/chat/completions", "{\"model\": ");
  EXPECT_EQ(response.status, 400);
  auto body = json::parse(response.body);
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
  EXPECT_EQ(post("/v1/chat/completions", R"({"model":"m","messages":[]})").status, 400);
  EXPECT_EQ(server_->stats().bad_requests, 2u);
}

TEST_F(SimServerTest, BodiesOverOneMebibyteAre413) {
  start();
  std::string big(1100000, 'x');
  auto response = post("/v1/chat/completions", chat(zero_shot(big)));
  EXPECT_EQ(response.status, 413) << response.transport_error;
  EXPECT_EQ(post("/v1/chat/completions", chat(zero_shot("refund"))).status, 200);
}

TEST_F(SimServerTest, RequiredKeyRejectsOtherKeys) {
  SimLlmOptions options;
  options.require_key = "secret-1";
  start(options);
  EXPECT_EQ(post("/v1/chat/completions", chat(zero_shot("refund"))).status, 401);
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port_) + "/v1/chat/completions";
  request.headers = {{"Authorization", "Bearer secret-1"}};
  request.body = chat(zero_shot("refund"));
  EXPECT_EQ(http_send_sync(*client_, request).status, 200);
}

TEST_F(SimServerTest, InjectedFaultsFollowTheirRatesAndStatsCountThem) {
  SimLlmOptions options;
  options.rate_429 = 0.2;
  options.rate_500 = 0.1;
  options.retry_after_s = 2;
  options.seed = 11;
  start(options);
  int ok = 0, limited = 0, failed = 0;
  for (int i = 0; i < 400; ++i) {
    auto response = post("/v1/chat/completions", chat(zero_shot("refund " + std::to_string(i))));
    if (response.status == 200) ++ok;
    if (response.status == 500) ++failed;
    if (response.status == 429) {
      ++limited;
      EXPECT_EQ(response.headers.at("retry-after"), "2");
    }
  }
  EXPECT_EQ(ok + limited + failed, 400);
  EXPECT_NEAR(limited / 400.0, 0.2, 0.06);
  EXPECT_NEAR(failed / 400.0, 0.1, 0.05);

  HttpRequest stats_request;
  stats_request.method = "GET";
  stats_request.url = "http://127.0.0.1:" + std::to_string(port_) + "/sim/stats";
  auto stats = json::parse(http_send_sync(*client_, stats_request).body);
  EXPECT_EQ(stats["requests"], 400);
  EXPECT_EQ(stats["completions"], ok);
  EXPECT_EQ(stats["rate_limited"], limited);
  EXPECT_EQ(stats["server_errors"], failed);
  EXPECT_EQ(server_->stats().requests, 400u);
}

TEST_F(SimServerTest, SameSeedGivesSameFaultSequence) {
  auto run = [this] {
    SimLlmOptions options;
    options.rate_429 = 0.3;
    options.seed = 5;
    start(options);
    std::string statuses;
    for (int i = 0; i < 40; ++i)
      statuses += post("/v1/chat/completions", chat(zero_shot("x"))).status == 429 ? 'R' : '.';
    server_->stop();
    return statuses;
  };
  EXPECT_EQ(run(), run());
}

TEST_F(SimServerTest, LatencyDelaysTheAnswer) {
  SimLlmOptions options;
  options.latency_base_ms = 150;
  start(options);
  auto response = post("/v1/chat/completions", chat(zero_shot("refund")));
  EXPECT_EQ(response.status, 200);
  EXPECT_GE(response.elapsed_ms, 145);
}

TEST_F(SimServerTest, UnknownPathIs404) {
  start();
  EXPECT_EQ(post("/v1/completions", "{}").status, 404);
}

}  // namespace
}  // namespace tunecase
