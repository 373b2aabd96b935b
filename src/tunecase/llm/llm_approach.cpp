#include "tunecase/llm/llm_approach.h"

#include <fmt/format.h>

#include "tunecase/config/privacy_policy.h"
#include "tunecase/core/error.h"

namespace tunecase {

ChatOptions chat_options(const ApproachConfig& approach, const std::vector<std::string>& labels,
                         const PromptSettings& prompt) {
  ChatOptions o;
  const LlmSettings& s = approach.llm;
  o.model = s.model;
  if (o.model.empty()) {
    throw UserError(fmt::format(
        "{}: approach '{}' has no model; add model = \"<model id>\" to its [[approach]] table",
        approach.where, approach.name));
  }
  bool reasons = prompt.strategy == PromptStrategy::kChainOfThought;
  o.temperature = s.temperature;
  o.max_tokens = s.max_tokens.value_or(reasons ? 256 : 64);
  o.seed = s.seed;
  if (!s.extra.empty()) o.extra = s.extra;
  if (prompt.structured_output) o.response_schema = label_schema(labels, reasons);
  return o;
}

LlmApproach::LlmApproach(const ApproachConfig& approach, const ProjectConfig& project,
                         const Examples& train, std::vector<std::string> labels)
    : LlmApproach(approach, project, train, std::move(labels),
                  (enforce_local_only(project.privacy, {approach}), make_provider(approach))) {}

LlmApproach::LlmApproach(const ApproachConfig& approach, const ProjectConfig& project,
                         const Examples& train, std::vector<std::string> labels,
                         std::unique_ptr<Provider> provider)
    : config_(approach),
      labels_(std::move(labels)),
      prompts_(prompt_settings(approach, project), project, train, labels_),
      options_(chat_options(approach, labels_, prompts_.settings())),
      provider_(std::move(provider)),
      redactor_(project.privacy.rules) {
  enforce_local_only(project.privacy, {approach});
}

std::vector<ChatMessage> LlmApproach::messages(std::string_view text,
                                               RedactionCounts* counts) const {
  PromptText prompt = prompts_.render(text);
  if (redactor_.enabled()) {
    PlaceholderMap map;  // one request: the same value gets the same placeholder in both
    prompt.system = redactor_.redact(prompt.system, map);
    prompt.user = redactor_.redact(prompt.user, map);
    if (counts != nullptr) add_counts(*counts, map.counts());
  }
  std::vector<ChatMessage> out;
  if (!prompt.system.empty()) out.push_back({"system", std::move(prompt.system)});
  out.push_back({"user", std::move(prompt.user)});
  return out;
}

HttpRequest LlmApproach::request(std::string_view text, RedactionCounts* counts) const {
  return provider_->build_request(messages(text, counts), options_);
}

std::string LlmApproach::inspect(std::string_view text) const {
  std::string out;
  for (const auto& m : messages(text)) {
    if (!out.empty()) out += "\n\n";
    out += fmt::format("[{}]\n{}", m.role, m.content);
  }
  if (!options_.response_schema.is_null()) {
    out += fmt::format("\n\n[response schema]\n{}", options_.response_schema.dump(2));
  }
  return out + "\n";
}

}  // namespace tunecase
