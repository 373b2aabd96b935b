// The OpenAI Chat Completions API, also spoken by vLLM, llama.cpp, Ollama, TGI and gateways.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "tunecase/core/json_write.h"
#include "tunecase/data/utf8_check.h"
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

// An answer's output tokens until a whole "completion_tokens" count is read: a server that
// leaves it out or writes null (LiteLLM, some self-hosted servers) has not said what the answer
// cost, and reading it as 0 had priced the answer at its input alone, as measured, and let a
// spend cap be passed several times over. usage_known() refuses a negative count.
constexpr int64_t kUnknownTokens = -1;
ChatAnswer answer_with_unknown_output() {
  ChatAnswer answer;
  answer.usage.output = kUnknownTokens;
  return answer;
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

// Reads choices[0].message.content, choices[0].finish_reason and usage's token counts from the
// parser's events. A later duplicate of a key replaces the earlier, as in a parsed document.
class ChatCompletionReader final : public nlohmann::json_sax<nlohmann::json> {
 public:
  ChatCompletionReader() { stack_.reserve(8); }
  // The answer, when the body had the common shape.
  std::optional<ChatAnswer> answer() && {
    if (!object_ || content_ != Content::string || declined_) return std::nullopt;
    return std::move(answer_);
  }

  bool null() override { return scalar(); }
  bool boolean(bool) override { return scalar(); }
  bool number_integer(number_integer_t value) override { return integer(value); }
  bool number_unsigned(number_unsigned_t value) override {
    return integer(static_cast<int64_t>(value));
  }
  bool number_float(number_float_t, const string_t&) override { return scalar(); }
  bool string(string_t& value) override {
    switch (slot()) {
      case Slot::content:
        answer_.text = std::move(value);
        content_ = Content::string;
        break;
      case Slot::finish_reason:
        answer_.finish_reason = std::move(value);
        break;
      default:
        return scalar();
    }
    advance();
    return true;
  }
  bool binary(binary_t&) override { return scalar(); }
  bool start_object(std::size_t) override { return open(false); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& key) override { return key_view(key); }
  bool key_view(std::string_view key) {
    Frame& top = stack_.back();
    top.key.assign(key);
    // A repeated key replaces what its first value gave.
    std::size_t depth = stack_.size();
    if (depth == 1 && key == "choices") {
      answer_.text.clear();
      answer_.finish_reason.clear();
      content_ = Content::absent;
      declined_ = false;
    } else if (depth == 1 && key == "usage") {
      answer_.usage = {};
      answer_.usage.output = kUnknownTokens;
    } else if (depth == 2 && stack_[0].key == "usage" && key == "prompt_tokens_details") {
      answer_.usage.cached_input = 0;
    } else if (in_choice() && key == "message") {
      answer_.text.clear();
      content_ = Content::absent;
    } else if (in_choice() && key == "finish_reason") {
      answer_.finish_reason.clear();
    } else if (in_choice() && key == "logprobs") {
      declined_ = false;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  enum class Slot { other, content, finish_reason, logprobs, input, output, cached };
  enum class Content { absent, string, other };
  // A key, as compared with the few the reader looks for (none longer than 21 bytes): a longer
  // one is kept as "none of them", so that reading a key never allocates.
  struct ShortKey {
    std::array<char, 24> bytes{};
    uint8_t size = 0;  // kLong: longer than bytes
    static constexpr uint8_t kLong = 255;
    void assign(std::string_view key) {
      if (key.size() > bytes.size()) {
        size = kLong;
        return;
      }
      std::copy(key.begin(), key.end(), bytes.begin());
      size = static_cast<uint8_t>(key.size());
    }
    bool operator==(std::string_view key) const {
      return size != kLong && key == std::string_view(bytes.data(), size);
    }
  };
  struct Frame {
    bool array = false;
    std::size_t index = 0;  // arrays: the element being read
    ShortKey key;           // objects: the key being read
  };

  bool in_choice() const {
    return stack_.size() == 3 && stack_[0].key == "choices" && stack_[1].array &&
           stack_[1].index == 0 && !stack_[2].array;
  }

  // What the value about to be read is.
  Slot slot() const {
    std::size_t depth = stack_.size();
    if (depth == 0 || stack_[0].array) return Slot::other;
    const ShortKey& top = stack_[0].key;
    if (top == "choices") {
      if (in_choice()) {
        if (stack_[2].key == "finish_reason") return Slot::finish_reason;
        if (stack_[2].key == "logprobs") return Slot::logprobs;
      } else if (depth == 4 && stack_[1].array && stack_[1].index == 0 && !stack_[2].array &&
                 stack_[2].key == "message" && !stack_[3].array && stack_[3].key == "content") {
        return Slot::content;
      }
    } else if (top == "usage" && depth >= 2 && !stack_[1].array) {
      if (depth == 2 && stack_[1].key == "prompt_tokens") return Slot::input;
      if (depth == 2 && stack_[1].key == "completion_tokens") return Slot::output;
      if (depth == 3 && stack_[1].key == "prompt_tokens_details" && !stack_[2].array &&
          stack_[2].key == "cached_tokens")
        return Slot::cached;
    }
    return Slot::other;
  }

  // A value that is not an integer: a token count reads 0, a finish reason "", content that
  // is not a string leaves the answer to the whole document.
  void other_value(Slot where, bool container) {
    switch (where) {
      case Slot::content:
        content_ = Content::other;
        break;
      case Slot::finish_reason:
        answer_.finish_reason.clear();
        break;
      case Slot::logprobs:
        if (container) declined_ = true;  // log-probabilities: the whole document reads them
        break;
      case Slot::input:
        answer_.usage.input = 0;
        break;
      case Slot::output:
        answer_.usage.output = kUnknownTokens;
        break;
      case Slot::cached:
        answer_.usage.cached_input = 0;
        break;
      case Slot::other:
        break;
    }
  }

  bool scalar() {
    if (stack_.empty()) return false;  // the body is not an object
    other_value(slot(), false);
    advance();
    return true;
  }

  bool integer(int64_t value) {
    if (stack_.empty()) return false;
    switch (Slot where = slot()) {
      case Slot::input:
        answer_.usage.input = value;
        break;
      case Slot::output:
        answer_.usage.output = value;
        break;
      case Slot::cached:
        answer_.usage.cached_input = value;
        break;
      default:
        other_value(where, false);
    }
    advance();
    return true;
  }

  bool open(bool array) {
    if (stack_.empty()) {
      if (array || object_) return false;  // not an object
      object_ = true;
    } else {
      other_value(slot(), true);
    }
    stack_.push_back({array, 0, {}});
    return true;
  }

  bool close() {
    stack_.pop_back();
    advance();
    return true;
  }

  void advance() {
    if (!stack_.empty() && stack_.back().array) ++stack_.back().index;
  }

  std::vector<Frame> stack_;
  ChatAnswer answer_ = answer_with_unknown_output();
  bool object_ = false;
  bool declined_ = false;
  Content content_ = Content::absent;
};

// Feeds a ChatCompletionReader from the body directly, without nlohmann's lexer, for the bodies
// an API sends: ASCII text with the short escapes. It stops at what it does not read itself (a
// \u escape, a byte outside ASCII, a control character, an integer of 19 digits or more, any
// syntax error) and says so; the caller then lets nlohmann's parser read the whole body, which
// decides as before. What it reads, it reads as that parser does (tests/llm/json_fast_path_test).
class ChatCompletionScan {
 public:
  enum class Outcome { read, refused, unsure };  // refused: the reader said no (not an object)

  ChatCompletionScan(std::string_view body, ChatCompletionReader& reader)
      : at_(body.data()), end_(body.data() + body.size()), reader_(reader) {}

  Outcome run() {
    skip_space();
    if (!value()) return outcome_;
    skip_space();
    return at_ == end_ ? Outcome::read : Outcome::unsure;
  }

 private:
  bool unsure() {
    outcome_ = Outcome::unsure;
    return false;
  }
  bool handled(bool reader_went_on) {
    if (!reader_went_on) outcome_ = Outcome::refused;
    return reader_went_on;
  }

  void skip_space() {
    while (at_ != end_ && (*at_ == ' ' || *at_ == '\n' || *at_ == '\r' || *at_ == '\t')) ++at_;
  }

  bool value() {
    if (at_ == end_) return unsure();
    switch (*at_) {
      case '{':
        return container(true);
      case '[':
        return container(false);
      case '"':
        if (!string(text_)) return false;
        return handled(reader_.string(text_));
      case 't':
        return literal("true") && handled(reader_.boolean(true));
      case 'f':
        return literal("false") && handled(reader_.boolean(false));
      case 'n':
        return literal("null") && handled(reader_.null());
      default:
        return number();
    }
  }

  // An object (`keyed`) or an array, after its opening bracket.
  bool container(bool keyed) {
    ++at_;
    const char close = keyed ? '}' : ']';
    if (!handled(keyed ? reader_.start_object(std::size_t(-1))
                       : reader_.start_array(std::size_t(-1))))
      return false;
    skip_space();
    bool empty = at_ != end_ && *at_ == close;
    while (!empty) {
      if (keyed) {
        if (at_ == end_ || *at_ != '"' || !string(key_)) return unsure();
        if (!handled(reader_.key_view(key_))) return false;
        skip_space();
        if (at_ == end_ || *at_ != ':') return unsure();
        ++at_;
        skip_space();
      }
      if (!value()) return false;
      skip_space();
      if (at_ == end_) return unsure();
      if (*at_ == close) break;
      if (*at_ != ',') return unsure();
      ++at_;
      skip_space();
    }
    ++at_;
    return handled(keyed ? reader_.end_object() : reader_.end_array());
  }

  // A string after its opening quote, into `out`.
  bool string(std::string& out) {
    ++at_;
    out.clear();
    for (;;) {
      const char* run = at_;
      while (at_ != end_ && *at_ != '"' && *at_ != '\\' &&
             static_cast<unsigned char>(*at_) >= 0x20 && static_cast<unsigned char>(*at_) < 0x80)
        ++at_;
      out.append(run, at_);
      if (at_ == end_) return unsure();
      if (*at_ == '"') {
        ++at_;
        return true;
      }
      if (*at_ != '\\' || end_ - at_ < 2) return unsure();
      char escaped = 0;
      switch (at_[1]) {
        case '"':
        case '\\':
        case '/':
          escaped = at_[1];
          break;
        case 'b':
          escaped = '\b';
          break;
        case 'f':
          escaped = '\f';
          break;
        case 'n':
          escaped = '\n';
          break;
        case 'r':
          escaped = '\r';
          break;
        case 't':
          escaped = '\t';
          break;
        default:
          return unsure();  // \u, or not an escape
      }
      out += escaped;
      at_ += 2;
    }
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - at_) < word.size() ||
        std::string_view(at_, word.size()) != word)
      return unsure();
    at_ += word.size();
    return true;
  }

  // JSON's number grammar; an integer as nlohmann reads it (signed when negative, unsigned
  // otherwise), anything with a fraction or an exponent as a float (the reader keeps no float).
  bool number() {
    const char* start = at_;
    bool negative = at_ != end_ && *at_ == '-';
    if (negative) ++at_;
    if (at_ == end_ || *at_ < '0' || *at_ > '9') return unsure();
    if (*at_ == '0') {
      ++at_;
    } else {
      while (at_ != end_ && *at_ >= '0' && *at_ <= '9') ++at_;
    }
    const char* digits_end = at_;
    bool real = false;
    if (at_ != end_ && *at_ == '.') {
      real = true;
      ++at_;
      if (at_ == end_ || *at_ < '0' || *at_ > '9') return unsure();
      while (at_ != end_ && *at_ >= '0' && *at_ <= '9') ++at_;
    }
    if (at_ != end_ && (*at_ == 'e' || *at_ == 'E')) {
      real = true;
      ++at_;
      if (at_ != end_ && (*at_ == '+' || *at_ == '-')) ++at_;
      if (at_ == end_ || *at_ < '0' || *at_ > '9') return unsure();
      while (at_ != end_ && *at_ >= '0' && *at_ <= '9') ++at_;
    }
    if (real) return handled(reader_.number_float(0.0, empty_));
    const char* digits = start + (negative ? 1 : 0);
    if (digits_end - digits > 18) return unsure();  // may not fit: the parser decides
    uint64_t magnitude = 0;
    for (const char* d = digits; d != digits_end; ++d)
      magnitude = magnitude * 10 + static_cast<uint64_t>(*d - '0');
    if (negative) return handled(reader_.number_integer(-static_cast<int64_t>(magnitude)));
    return handled(reader_.number_unsigned(magnitude));
  }

  const char* at_;
  const char* end_;
  ChatCompletionReader& reader_;
  Outcome outcome_ = Outcome::unsure;
  std::string text_, key_;
  std::string empty_;
};

class OpenAiProvider final : public Provider {
 public:
  OpenAiProvider(std::string base_url, std::string api_key)
      : url_(base_url + "/chat/completions"), api_key_(std::move(api_key)) {}

  HttpRequest build_request(const std::vector<ChatMessage>& messages,
                            const ChatOptions& options) const override {
    HttpRequest request;
    request.url = url_;
    request.headers.emplace_back("Content-Type", "application/json");
    if (!api_key_.empty()) request.headers.emplace_back("Authorization", "Bearer " + api_key_);
    request.body = chat_completions_body(messages, options);
    return request;
  }

  ChatAnswer parse_response(const HttpResponse& response) const override {
    if (response.status >= 200 && response.status < 300) {
      if (auto answer = read_chat_completion(response.body)) {
        answer->simulated = is_simulated(response);
        return std::move(*answer);
      }
    }
    auto json = parse_body(response, "the Chat Completions API");
    const auto choices = json.is_object() ? json.find("choices") : json.end();
    if (choices == json.end() || !choices->is_array() || choices->empty() ||
        !(*choices)[0].is_object() || !(*choices)[0].contains("message"))
      throw ProviderError(fmt::format(
          "the Chat Completions API answered HTTP {} without an answer: {}; a server that "
          "filtered the prompt or ran out of capacity answers this way, and so does a base_url "
          "that is not a Chat Completions API. The body began: {}",
          response.status,
          choices == json.end() || !choices->is_array() ? "no \"choices\" list"
          : choices->empty()                            ? "\"choices\" is empty"
                                                        : "choices[0] has no \"message\"",
          json.dump(-1, ' ', true).substr(0, 200)));
    try {
      const auto& choice = json.at("choices").at(0);
      const auto& message = choice.at("message");
      ChatAnswer answer = answer_with_unknown_output();
      answer.text = message_text(message);
      if (choice.contains("finish_reason") && choice["finish_reason"].is_string())
        answer.finish_reason = choice["finish_reason"].get<std::string>();
      if (json.contains("usage") && json["usage"].is_object()) {
        const auto& usage = json["usage"];
        answer.usage.input = integer_or_zero(usage, "prompt_tokens");
        auto output = usage.find("completion_tokens");
        if (output != usage.end() && output->is_number_integer())
          answer.usage.output = output->get<int64_t>();
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

std::optional<ChatAnswer> read_chat_completion(std::string_view body) {
  {
    ChatCompletionReader reader;
    switch (ChatCompletionScan(body, reader).run()) {
      case ChatCompletionScan::Outcome::read:
        return std::move(reader).answer();
      case ChatCompletionScan::Outcome::refused:
        return std::nullopt;
      case ChatCompletionScan::Outcome::unsure:
        break;
    }
  }
  ChatCompletionReader reader;
  if (!nlohmann::json::sax_parse(body, &reader)) return std::nullopt;
  return std::move(reader).answer();
}

std::string chat_completions_body(const std::vector<ChatMessage>& messages,
                                  const ChatOptions& options) {
  // In this order: model, temperature, messages, the token limit, seed, response_format, then
  // `extra` (which replaces a key it repeats, in place).
  auto document = [&](bool with_messages) {
    nlohmann::ordered_json body = {{"model", options.model}, {"temperature", options.temperature}};
    body["messages"] = nlohmann::ordered_json::array();
    if (with_messages) {
      for (const auto& m : messages)
        body["messages"].push_back({{"role", m.role}, {"content", m.content}});
    }
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
    return body;
  };
  bool direct = !(options.extra.is_object() && options.extra.contains("messages"));
  for (const auto& m : messages)
    direct = direct && !invalid_utf8_offset(m.role) && !invalid_utf8_offset(m.content);
  if (!direct) return document(true).dump();  // dump() reports invalid UTF-8, as it always did
  // Everything but the messages through dump(), and the messages written in their place:
  // dump() escapes a long prompt one character at a time. The rest of the body depends on the
  // options alone, which are those of the last call on this thread nearly always.
  struct Skeleton {
    ChatOptions options;
    std::string text;      // the body with "messages":[]
    std::size_t rest = 0;  // where that "]" is; 0: this body cannot be split there
  };
  thread_local std::optional<Skeleton> last;
  if (!last || last->options != options) {
    nlohmann::ordered_json body = document(false);
    Skeleton fresh{options, body.dump(), 0};
    std::string head = "{\"model\":" + body["model"].dump() +
                       ",\"temperature\":" + body["temperature"].dump() + ",\"messages\":[";
    if (fresh.text.starts_with(head) && fresh.text.compare(head.size(), 1, "]") == 0)
      fresh.rest = head.size();
    last = std::move(fresh);
  }
  if (last->rest == 0) return document(true).dump();
  std::size_t size = last->text.size();
  for (const auto& m : messages) size += m.role.size() + m.content.size() + 32;
  std::string out;
  out.reserve(size);
  out.append(last->text, 0, last->rest);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    out += i == 0 ? "{\"role\":" : ",{\"role\":";
    append_json_string(out, messages[i].role);
    out += ",\"content\":";
    append_json_string(out, messages[i].content);
    out += '}';
  }
  out.append(last->text, last->rest, std::string::npos);
  return out;
}

std::unique_ptr<Provider> make_openai_provider(std::string base_url, std::string api_key) {
  return std::make_unique<OpenAiProvider>(std::move(base_url), std::move(api_key));
}

}  // namespace tunecase::provider_detail
