#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tunecase/config/config.h"
#include "tunecase/data/example.h"
#include "tunecase/llm/label_parser.h"
#include "tunecase/llm/prompt.h"
#include "tunecase/llm/provider.h"
#include "tunecase/privacy/redactor.h"

namespace tunecase {

// The chat options of an approach: model (required), temperature (0), max_tokens (64; 256 for
// chain_of_thought, which writes its reasoning first), seed, extra (a table merged into the
// request body), and the label schema when structured_output = true.
ChatOptions chat_options(const ApproachConfig& approach, const std::vector<std::string>& labels,
                         const PromptSettings& prompt);

// One [[approach]] of kind openai/anthropic, ready to turn texts into requests and answers into
// labels. Only the train split is given to it, so only train examples can reach a prompt.
// Thread-safe after construction.
class LlmApproach {
 public:
  // The provider comes from make_provider (UserError when the key variable is unset). With
  // [privacy] local_only, an endpoint that is not local is a UserError before anything is sent.
  LlmApproach(const ApproachConfig& approach, const ProjectConfig& project, const Examples& train,
              std::vector<std::string> labels);
  // With a given provider (tests, other transports).
  LlmApproach(const ApproachConfig& approach, const ProjectConfig& project, const Examples& train,
              std::vector<std::string> labels, std::unique_ptr<Provider> provider);

  // The messages of `text`, redacted by [privacy] when it asks for it: the one place where texts
  // (the ticket, few-shot and retrieved examples, label descriptions) become what is sent, with
  // one placeholder map per request. `counts` (optional) receives what was redacted, by kind.
  std::vector<ChatMessage> messages(std::string_view text, RedactionCounts* counts = nullptr) const;
  HttpRequest request(std::string_view text, RedactionCounts* counts = nullptr) const;
  ParsedLabel read(const ChatAnswer& answer) const { return parse_label(answer.text, labels_); }

  // The prompt of `text` as a person reads it ("[system]\n...\n\n[user]\n..."), for the copy
  // saved next to the results.
  std::string inspect(std::string_view text) const;

  const ApproachConfig& config() const { return config_; }
  // The time-out of one request: the table's timeout_ms where it sets one, else the command's.
  std::chrono::milliseconds request_timeout(std::chrono::milliseconds command_default) const {
    return config_.llm.timeout_ms ? std::chrono::milliseconds(*config_.llm.timeout_ms)
                                  : command_default;
  }
  // Why a failed attempt failed, in words: the transport error, the time-out, or the provider's
  // own message from the error body; a 401 or 403 also names the key's variable (api_key_env).
  std::string failure_text(const HttpResponse& response) const;
  const std::string& name() const { return config_.name; }
  const ChatOptions& options() const { return options_; }
  const Provider& provider() const { return *provider_; }
  const PromptBuilder& prompts() const { return prompts_; }
  const std::vector<std::string>& labels() const { return labels_; }
  const Redactor& redactor() const { return redactor_; }

 private:
  ApproachConfig config_;
  std::vector<std::string> labels_;
  PromptBuilder prompts_;
  ChatOptions options_;
  std::unique_ptr<Provider> provider_;
  Redactor redactor_;
  // The part of a request that repeats, redacted once (docs/privacy.md, Speed): the system
  // message and the user message up to its last blank line (the examples of zero_shot and
  // few_shot prompts), with the placeholder map after them. Each request continues from a copy
  // of that map, so placeholders stay consistent within the request.
  struct RedactedPrefix {
    std::string raw_system, raw_head, system, head;
    PlaceholderMap map;                       // the base of each request's map
    RedactionCounts counts;                   // map.counts(), added to each request's
    BytePairFilter system_pairs, head_pairs;  // rule out most searches of system and head
  };
  mutable std::mutex prefix_mutex_;
  mutable std::shared_ptr<const RedactedPrefix> last_prefix_;
  std::vector<ChatMessage> redacted(PromptText prompt, RedactionCounts* counts) const;
};

}  // namespace tunecase
