#include "tunecase/runner/answer.h"

namespace tunecase {

Prediction prediction_of(const LlmApproach& approach, const ChatAnswer& answer,
                         const std::optional<Price>& price, double latency_ms) {
  Prediction p;
  ParsedLabel parsed = approach.read(answer);
  p.label = parsed.label;
  p.invalid = !parsed.valid();
  p.raw = answer.text;
  p.latency_ms = latency_ms;
  p.tokens_in = answer.usage.input;
  p.tokens_out = answer.usage.output;
  p.tokens_cached = answer.usage.cached_input;
  if (price) p.cost_usd = cost_usd(*price, answer.usage);
  if (answer.probability && parsed.valid()) p.confidence = answer.probability;
  return p;
}

}  // namespace tunecase
