// The bodies the gateway writes and reads on every request without building a JSON document
// give what the document would: the same bytes written, the same answer read, and the
// document's own reading whenever the fast one declines.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>

#include "tunecase/core/json_write.h"
#include "tunecase/llm/provider.h"

namespace tunecase {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Valid UTF-8 from pieces that need escaping, plain ASCII and multi-byte characters.
std::string random_text(std::mt19937_64& rng, std::size_t max_pieces) {
  static const std::vector<std::string> pieces = {"a",
                                                  "Z",
                                                  " ",
                                                  "9",
                                                  "\"",
                                                  "\\",
                                                  "/",
                                                  "\x7f",
                                                  "\xc3\xa9",
                                                  "\xe2\x82\xac",
                                                  "\xf0\x9f\x99\x82",
                                                  "ticket: charged twice",
                                                  "{\"json\": [1, 2]}",
                                                  "\\u0041"};
  std::string out;
  std::size_t n = std::uniform_int_distribution<std::size_t>(0, max_pieces)(rng);
  for (std::size_t i = 0; i < n; ++i) {
    if (rng() % 4 == 0) {
      out += static_cast<char>(rng() % 0x20);  // every control character
    } else {
      out += pieces[rng() % pieces.size()];
    }
  }
  return out;
}

TEST(AppendJsonString, WritesWhatDumpWrites) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string text = random_text(rng, 40);
    std::string out = "prefix:";
    append_json_string(out, text);
    ASSERT_EQ(out, "prefix:" + json(text).dump()) << "text #" << i;
  }
  std::string all;
  for (int c = 0; c < 0x20; ++c) all += static_cast<char>(c);
  std::string out;
  append_json_string(out, all);
  EXPECT_EQ(out, json(all).dump());
  EXPECT_NE(out.find("\\u001f"), std::string::npos);
}

// The body as the provider built it before the messages were written directly.
std::string document_body(const std::vector<ChatMessage>& messages, const ChatOptions& o) {
  ordered_json body = {{"model", o.model}, {"temperature", o.temperature}};
  body["messages"] = ordered_json::array();
  for (const auto& m : messages)
    body["messages"].push_back({{"role", m.role}, {"content", m.content}});
  bool reasoning = o.model.starts_with("o1") || o.model.starts_with("o3") ||
                   o.model.starts_with("o4") || o.model.starts_with("gpt-5");
  body[reasoning ? "max_completion_tokens" : "max_tokens"] = o.max_tokens;
  if (o.seed) body["seed"] = *o.seed;
  if (!o.response_schema.is_null()) {
    ordered_json schema = o.response_schema;  // required-first ordering aside: same schema here
    body["response_format"] = {
        {"type", "json_schema"},
        {"json_schema", {{"name", "answer"}, {"strict", true}, {"schema", schema}}}};
  }
  if (o.extra.is_object()) body.update(ordered_json(o.extra));
  return body.dump();
}

TEST(ChatCompletionsBody, IsTheDocumentsDumpForEveryOptionAndMessage) {
  std::mt19937_64 rng(11);
  std::vector<json> extras = {json::object(),
                              {{"top_p", 0.5}},
                              {{"model", "override \"quoted\""}, {"user", "u-1"}},
                              {{"temperature", 1.25}, {"max_tokens", 3}},
                              {{"messages", json::array()}},
                              {{"messages", {{{"role", "user"}, {"content", "from extra"}}}}},
                              {{"logprobs", true}, {"top_logprobs", 2}}};
  std::vector<std::string> models = {"gpt-4o-mini", "o3-mini", "gpt-5", "local \"model\""};
  for (int i = 0; i < 400; ++i) {
    ChatOptions o;
    o.model = models[rng() % models.size()];
    o.temperature = (rng() % 3) * 0.35;
    o.max_tokens = static_cast<int>(rng() % 100);
    if (rng() % 2) o.seed = static_cast<int64_t>(rng() % 1000);
    if (rng() % 3 == 0)
      o.response_schema = {{"type", "object"}, {"properties", {{"label", {{"type", "string"}}}}}};
    o.extra = extras[rng() % extras.size()];
    std::vector<ChatMessage> messages;
    std::size_t n = rng() % 4;
    for (std::size_t m = 0; m < n; ++m)
      messages.push_back({m == 0 ? "system" : "user", random_text(rng, 30)});
    ASSERT_EQ(provider_detail::chat_completions_body(messages, o), document_body(messages, o))
        << "case #" << i;
  }
}

TEST(ChatCompletionsBody, OptionsThatDifferInOneFieldGetTheirOwnBody) {
  // The part of the body the options decide is kept from call to call: a change of any one
  // option must show.
  ChatOptions base;
  base.model = "gpt-4o-mini";
  std::vector<ChatOptions> variants(7, base);
  variants[1].model = "gpt-4o";
  variants[2].temperature = 0.7;
  variants[3].max_tokens = 5;
  variants[4].seed = 42;
  variants[5].response_schema = {{"type", "object"}};
  variants[6].extra = {{"top_p", 0.9}};
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    const ChatOptions& o = variants[rng() % variants.size()];
    std::vector<ChatMessage> messages = {{"system", "Classify."}, {"user", random_text(rng, 8)}};
    ASSERT_EQ(provider_detail::chat_completions_body(messages, o), document_body(messages, o))
        << "call #" << i;
  }
}

TEST(ChatCompletionsBody, InvalidUtf8IsReportedAsBefore) {
  ChatOptions o;
  o.model = "m";
  std::vector<ChatMessage> messages = {{"user", "bad \xff byte"}};
  EXPECT_THROW(provider_detail::chat_completions_body(messages, o), json::type_error);
}

// The answer as the whole document gives it (the provider's reading before the fast one).
std::optional<ChatAnswer> document_answer(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty()) return std::nullopt;
  const json& choice = (*choices)[0];
  if (!choice.is_object()) return std::nullopt;
  auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) return std::nullopt;
  ChatAnswer a;
  a.usage.output = -1;  // unknown until a whole "completion_tokens" is read
  auto content = message->find("content");
  if (content == message->end() || !content->is_string()) return std::nullopt;
  a.text = content->get<std::string>();
  if (auto f = choice.find("finish_reason"); f != choice.end() && f->is_string())
    a.finish_reason = f->get<std::string>();
  if (auto lp = choice.find("logprobs"); lp != choice.end() && (lp->is_object() || lp->is_array()))
    return std::nullopt;  // the fast reading leaves log-probabilities to the document
  auto count = [](const json& o, const char* key) -> int64_t {
    auto it = o.find(key);
    return it != o.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
  };
  if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
    a.usage.input = count(*u, "prompt_tokens");
    if (auto out = u->find("completion_tokens"); out != u->end() && out->is_number_integer())
      a.usage.output = out->get<int64_t>();
    if (auto d = u->find("prompt_tokens_details"); d != u->end() && d->is_object())
      a.usage.cached_input = count(*d, "cached_tokens");
  }
  return a;
}

// Chat Completions bodies whose every part is usually of the right type and sometimes not,
// with keys repeated now and then (the last one counts), so every branch of the reading is
// taken.
class AnswerGenerator {
 public:
  explicit AnswerGenerator(uint64_t seed) : rng_(seed) {}

  std::string next() {
    return object({{"id", [&] { return scalar(); }},
                   {"choices", [&] { return list([&] { return choice(); }); }},
                   {"usage", [&] { return usage(); }}});
  }

 private:
  using Part = std::pair<std::string, std::function<std::string()>>;

  bool usually() { return rng_() % 5 != 0; }

  // The parts in a random order, each usually present, sometimes twice, sometimes of another
  // type than expected.
  std::string object(const std::vector<Part>& parts) {
    std::vector<std::string> members;
    for (const auto& [key, make] : parts) {
      int copies = usually() ? 1 : static_cast<int>(rng_() % 3);
      for (int c = 0; c < copies; ++c)
        members.push_back(json(key).dump() + ":" + (usually() ? make() : any(0)));
    }
    std::shuffle(members.begin(), members.end(), rng_);
    std::string out = "{";
    for (std::size_t i = 0; i < members.size(); ++i) out += (i ? "," : "") + members[i];
    return out + "}";
  }

  std::string list(const std::function<std::string()>& make) {
    std::string out = "[";
    std::size_t n = usually() ? 1 : rng_() % 3;
    for (std::size_t i = 0; i < n; ++i) out += (i ? "," : "") + make();
    return out + "]";
  }

  std::string choice() {
    return object({{"index", [&] { return std::string("0"); }},
                   {"message", [&] { return message(); }},
                   {"finish_reason", [&] { return json(random_text(rng_, 2)).dump(); }},
                   {"logprobs", [&] { return std::string("null"); }}});
  }

  std::string message() {
    return object({{"role", [&] { return std::string("\"assistant\""); }},
                   {"content", [&] { return json(random_text(rng_, 6)).dump(); }},
                   {"refusal", [&] { return std::string("null"); }}});
  }

  std::string usage() {
    auto count = [&] { return std::to_string(rng_() % 5000); };
    return object({{"prompt_tokens", count},
                   {"completion_tokens", count},
                   {"total_tokens", count},
                   {"prompt_tokens_details", [&] {
                      return object({{"cached_tokens", count}});
                    }}});
  }

  std::string any(int depth) {
    switch (rng_() % (depth > 2 ? 1 : 3)) {
      case 0:
        return scalar();
      case 1:
        return "[" + any(depth + 1) + "," + any(depth + 1) + "]";
      default:
        return "{\"content\":" + any(depth + 1) + ",\"prompt_tokens\":" + any(depth + 1) + "}";
    }
  }

  std::string scalar() {
    switch (rng_() % 7) {
      case 0:
        return "null";
      case 1:
        return "true";
      case 2:
        return std::to_string(static_cast<int64_t>(rng_() % 2000) - 50);
      case 3:
        return "1.5";
      case 4:
        return "18446744073709551615";
      default:
        return json(random_text(rng_, 4)).dump();
    }
  }

  std::mt19937_64 rng_;
};

void expect_same(const std::optional<ChatAnswer>& fast, const std::optional<ChatAnswer>& doc,
                 const std::string& body) {
  ASSERT_EQ(fast.has_value(), doc.has_value()) << body;
  if (!fast) return;
  EXPECT_EQ(fast->text, doc->text) << body;
  EXPECT_EQ(fast->finish_reason, doc->finish_reason) << body;
  EXPECT_EQ(fast->usage.input, doc->usage.input) << body;
  EXPECT_EQ(fast->usage.output, doc->usage.output) << body;
  EXPECT_EQ(fast->usage.cached_input, doc->usage.cached_input) << body;
  EXPECT_FALSE(fast->probability) << body;
}

TEST(ReadChatCompletion, ReadsTheCommonShape) {
  std::string body = R"({"id":"c-1","object":"chat.completion","choices":[{"index":0,
    "message":{"role":"assistant","content":"billing","refusal":null,"annotations":[]},
    "logprobs":null,"finish_reason":"stop"},{"index":1,"message":{"content":"other"}}],
    "usage":{"prompt_tokens":120,"completion_tokens":6,"total_tokens":126,
    "prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0}}})";
  auto a = provider_detail::read_chat_completion(body);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->text, "billing");
  EXPECT_EQ(a->finish_reason, "stop");
  EXPECT_EQ(a->usage.input, 120);
  EXPECT_EQ(a->usage.output, 6);
  EXPECT_EQ(a->usage.cached_input, 64);
  expect_same(a, document_answer(body), body);
}

TEST(ReadChatCompletion, DeclinesWhatTheDocumentMustRead) {
  for (const char* body :
       {R"({"choices":[{"message":{"content":null,"refusal":"no"}}]})",
        R"({"choices":[{"message":{"content":[{"type":"text","text":"x"}]}}]})",
        R"({"choices":[{"message":{"content":"x"},"logprobs":{"content":[]}}]})",
        R"({"choices":[]})", R"([{"choices":1}])", R"({"choices":[{"message":{"content":"x"}}]} x)",
        R"({"choices":[{"message":{"content":"x"}}])", "", "null"}) {
    EXPECT_FALSE(provider_detail::read_chat_completion(body)) << body;
  }
}

TEST(ReadChatCompletion, AgreesWithTheDocumentOnRandomBodies) {
  AnswerGenerator gen(5);
  int read = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string body = gen.next();
    auto fast = provider_detail::read_chat_completion(body);
    if (fast) ++read;
    expect_same(fast, document_answer(body), body);
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(read, 3000) << "the generator should reach the common shape often";
}

// The reading without nlohmann's lexer (plain ASCII bodies) and the hand-over to it (anything
// else, and every syntax error) on bodies broken a few bytes at a time: JSON's own characters
// put in, taken out or swapped, so numbers, literals, escapes and nesting break in every way.
TEST(ReadChatCompletion, AgreesWithTheDocumentOnBrokenBodies) {
  AnswerGenerator gen(9);
  std::mt19937_64 rng(13);
  const std::string alphabet = "{}[]:,\"\\ \n0123456789-+.eEtrufalsn/bu";
  int read = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string body = gen.next();
    int edits = static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      std::size_t at = rng() % body.size();
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          body[at] = c;
          break;
        case 1:
          body.insert(at, 1, c);
          break;
        default:
          body.erase(at, 1);
      }
    }
    auto fast = provider_detail::read_chat_completion(body);
    if (fast) ++read;
    expect_same(fast, document_answer(body), body);
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(read, 2000);
}

TEST(ReadChatCompletion, ReadsEscapesNumbersAndLiteralsAsTheDocument) {
  for (
      const char* body : {
          R"({"choices":[{"message":{"content":"a\"b\\c\/d\n\t\r\b\f"}}]})",
          R"({"choices":[{"message":{"content":"\u00e9t\u00e9"}}]})",
          "{\"choices\":[{\"message\":{\"content\":\"caf\xc3\xa9\"}}]}",
          R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":-3}})",
          R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1e3}})",
          R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":12345678901234567890}})",
          R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":9223372036854775808}})",
          R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":-0,"completion_tokens":0.0}})",
          R"( {"choices" : [ {"message":{"content":"x"},"finish_reason":"stop"} ] , "u":[true,false,null,{}]} )",
          R"({"choices":[{"message":{"content":"x"}}]}{})",
          R"({"choices":[{"message":{"content":"x"}}],"k":01})",
          R"({"choices":[{"message":{"content":"x"}}],"k":tru})",
          R"({"choices":[{"message":{"content":"x	tab"}}]})",
          "\xef\xbb\xbf{\"choices\":[{\"message\":{\"content\":\"x\"}}]}",
      }) {
    expect_same(provider_detail::read_chat_completion(body), document_answer(body), body);
  }
}

}  // namespace
}  // namespace tunecase
