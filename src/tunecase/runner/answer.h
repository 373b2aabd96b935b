#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "tunecase/approaches/classifier.h"
#include "tunecase/llm/llm_approach.h"
#include "tunecase/llm/prices.h"

namespace tunecase {

// One API answer as a prediction: the label read from its text (or invalid), the raw text, the
// measured tokens and latency, and the cost of those tokens at `price` (none without a price).
// The batch loop and the single-request path both read answers through it. `request_bytes`
// (the body sent; 0: not known) bounds the input tokens an answer is taken at its word for.
// Whether an answer's token counts can be taken at their word: given, and not nonsense
// (negative, more cached than sent, more output than `max_tokens` allowed, more input than
// `request_bytes` could hold; 0 input: not known; 0 output for an answer that wrote something
// (`answered`): not true). Otherwise the cost is unknown, never $0, and the callers charge the
// request's worst case.
bool usage_known(const Usage& usage, int max_tokens, std::size_t request_bytes, bool answered);

// How much of an answer a report or the store quotes.
inline constexpr std::size_t kAnswerSampleChars = 200;

// An answer that named no label, as report.md and the gateway's store quote it: its first
// kAnswerSampleChars bytes; an empty answer says so, and one the API cut (content filter, refusal,
// max_tokens) says why, or it would read as a blank sample.
std::string unmapped_answer_sample(const ChatAnswer& answer);

// The prediction's `raw` is the answer's text, or for an answer that maps to no label its
// unmapped_answer_sample.
Prediction prediction_of(const LlmApproach& approach, const ChatAnswer& answer,
                         const std::optional<Price>& price, double latency_ms,
                         std::size_t request_bytes);

}  // namespace tunecase
