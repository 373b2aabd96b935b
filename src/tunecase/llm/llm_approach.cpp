#include "tunecase/llm/llm_approach.h"

#include <fmt/format.h>
#include <string.h>

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
  if (redactor_.enabled()) return redacted(std::move(prompt), counts);
  std::vector<ChatMessage> out;
  if (!prompt.system.empty()) out.push_back({"system", std::move(prompt.system)});
  out.push_back({"user", std::move(prompt.user)});
  return out;
}

std::vector<ChatMessage> LlmApproach::redacted(PromptText prompt, RedactionCounts* counts) const {
  // The user message's head (everything up to its last blank line: the examples) repeats from
  // request to request; its tail is the ticket. No detector matches across a blank line.
  std::size_t cut = prompt.user.rfind("\n\n");
  std::size_t head_size = cut == std::string::npos ? 0 : cut + 2;
  std::string_view raw_head = std::string_view(prompt.user).substr(0, head_size);
  std::shared_ptr<const RedactedPrefix> prefix;
  {
    std::lock_guard lock(prefix_mutex_);
    prefix = last_prefix_;
  }
  if (!prefix || prefix->raw_system != prompt.system || prefix->raw_head != raw_head) {
    auto fresh = std::make_shared<RedactedPrefix>();
    fresh->raw_system = prompt.system;
    fresh->raw_head = std::string(raw_head);
    fresh->system = redactor_.redact(prompt.system, fresh->map);
    fresh->head = redactor_.redact(raw_head, fresh->map);
    fresh->counts = fresh->map.counts();
    fresh->system_pairs = BytePairFilter(fresh->system);
    fresh->head_pairs = BytePairFilter(fresh->head);
    std::lock_guard lock(prefix_mutex_);
    last_prefix_ = fresh;
    prefix = std::move(fresh);
  }
  // One request, one map: the same value gets the same placeholder in every message. The
  // request's map sits on the prefix's (no copy): only the ticket's new values are its own.
  PlaceholderMap layered(&prefix->map);
  std::string tail = redactor_.redact(std::string_view(prompt.user).substr(head_size), layered);
  // A value first found in the ticket must not survive in the examples or the system message
  // (where its context hid it from the detectors): then the request is redacted whole.
  bool whole = false;
  auto holds = [](const std::string& text, const BytePairFilter& pairs, const std::string& value) {
    return pairs.may_contain(value) &&
           memmem(text.data(), text.size(), value.data(), value.size()) != nullptr;
  };
  layered.for_each_own_value([&](const std::string&, const std::string& value) {
    whole = whole || holds(prefix->head, prefix->head_pairs, value) ||
            holds(prefix->system, prefix->system_pairs, value);
  });
  std::vector<ChatMessage> out;
  if (whole) {
    PlaceholderMap map;
    prompt.system = redactor_.redact(prompt.system, map);
    prompt.user = redactor_.redact(prompt.user, map);
    if (counts != nullptr) add_counts(*counts, map.counts());
  } else {
    prompt.system = prefix->system;
    prompt.user.assign(prefix->head).append(tail);
    if (counts != nullptr) {  // the prefix's counts, then the ticket's own values
      add_counts(*counts, prefix->counts);
      layered.for_each_own_count([&](const std::string& kind, int64_t n) { (*counts)[kind] += n; });
    }
  }
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

std::string LlmApproach::failure_text(const HttpResponse& response) const {
  if (!response.transport_error.empty()) return response.transport_error;
  if (response.timed_out) return "timed out";
  std::string why = fmt::format("HTTP {}", response.status);
  try {
    provider_->parse_response(response);
  } catch (const ProviderError& e) {
    why = e.what();
  }
  if (response.status >= 300 && response.status < 400) {
    // Not followed: a redirect would send the prompt and the key to an address the config does
    // not name. The usual cause is http:// where the server wants https://, or a moved host.
    auto location = response.headers.find("location");
    const std::string to =
        location != response.headers.end() ? location->second.substr(0, 200) : std::string();
    // base_url is the address before the API's path, which tunecase appends.
    std::string base = to.substr(0, to.find('?'));
    for (std::string_view path : {"/chat/completions", "/messages"})
      if (base.size() > path.size() && base.ends_with(path)) base.resize(base.size() - path.size());
    why = fmt::format(
        "HTTP {}: the server redirects{}; tunecase does not follow redirects (they would send "
        "the key and the texts to an address the config does not name): {}",
        response.status, to.empty() ? " (no Location given)" : " to " + to,
        to.empty() ? std::string("check base_url")
                   : fmt::format("set base_url = \"{}\" if that is the server", base));
  }
  if (response.status == 401 || response.status == 403)
    why +=
        config_.llm.api_key_env.empty()
            ? "; the approach sends no key (set api_key_env to the variable that holds one)"
            : fmt::format("; check the key in ${} and the model's access", config_.llm.api_key_env);
  return why;
}

}  // namespace tunecase
