#include "tunecase/runner/answer.h"

#include <fmt/format.h>

#include "tunecase/runner/budget.h"

namespace tunecase {

bool usage_known(const Usage& u, int max_tokens, std::size_t request_bytes, bool answered) {
  return u.input > 0 && u.output >= 0 && (u.output > 0 || !answered) && u.cached_input >= 0 &&
         u.cache_write >= 0 && u.cache_write_1h >= 0 &&
         u.cached_input + u.cache_write + u.cache_write_1h <= u.input &&
         (max_tokens <= 0 || u.output <= max_tokens) &&
         (request_bytes == 0 || u.input <= worst_case_input_tokens(request_bytes));
}

std::string unmapped_answer_sample(const ChatAnswer& answer) {
  const std::string& why = answer.finish_reason;
  const bool telling = why == "content_filter" || why == "refusal" || why == "length" ||
                       why == "max_tokens" || why == "safety";
  if (answer.text.find_first_not_of(" \t\r\n") == std::string::npos)
    return fmt::format("(an empty answer; finish_reason: {})", why.empty() ? "none given" : why);
  std::string sample = answer.text.substr(0, kAnswerSampleChars);
  if (telling) sample += fmt::format(" (finish_reason: {})", why);
  return sample;
}

Prediction prediction_of(const LlmApproach& approach, const ChatAnswer& answer,
                         const std::optional<Price>& price, double latency_ms,
                         std::size_t request_bytes) {
  Prediction p;
  ParsedLabel parsed = approach.read(answer);
  p.label = parsed.label;
  p.invalid = !parsed.valid();
  p.raw = p.invalid ? unmapped_answer_sample(answer) : answer.text;
  p.latency_ms = latency_ms;
  // Token counts the answer did not give (no usage block, as some proxies and self-hosted
  // servers send) or gave as nonsense (negative, more cached than sent, more output than
  // max_tokens allowed) or beyond what the spend cap reserved for the request (input tokens over
  // half its bytes, worst_case_input_tokens) are unknown, and so is the cost: never $0, and never
  // more than was reserved, either of which would let a spend cap pass (the callers charge the
  // request's worst case instead).
  const Usage& u = answer.usage;
  const bool known =
      usage_known(u, approach.options().max_tokens, request_bytes, !answer.text.empty());
  p.tokens_in = known ? u.input : 0;
  p.tokens_out = known ? u.output : 0;
  p.tokens_cached = known ? u.cached_input : 0;
  if (price && known) p.cost_usd = cost_usd(*price, u);
  if (answer.probability && parsed.valid()) p.confidence = answer.probability;
  return p;
}

}  // namespace tunecase
