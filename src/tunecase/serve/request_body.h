#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/store/records.h"

// The gateway's request bodies, parsed and checked without a server (the fuzz test drives these
// directly): anything a client can get wrong becomes a BodyError with a 4xx status and a message
// that says what to send instead. Nothing here throws on client input.
namespace tunecase::serve {

struct BodyError {
  int status = 400;  // 400 malformed, 422 well-formed but not acceptable
  std::string message;
};

// POST /v1/classify: {"text": "...", "id": "T-1" | 42, "segment": "...", "metadata": {...}}.
// Both bodies may carry "at", the time of a replayed item: milliseconds since 1970 or an
// ISO-8601 UTC date or time ("2025-08-14", "2025-08-14T09:30:00Z"); only a gateway on a replay
// clock (serve --replay-clock) takes it.
struct ClassifyBody {
  std::string text;
  std::string id;       // "" when absent; a number is kept as its decimal text
  std::string segment;  // "" when absent
  nlohmann::json metadata = nlohmann::json::object();
  std::optional<int64_t> at_ms;
};

// POST /v1/feedback: {"id": "T-1", "label": "..."} or {"prediction_id": "...", "label": "..."}.
struct FeedbackBody {
  Feedback::By by = Feedback::By::request_id;
  std::string id;
  std::string label;
  std::optional<int64_t> at_ms;
};

std::variant<ClassifyBody, BodyError> parse_classify(std::string_view body);

// `labels` is the label set feedback must come from; empty accepts any label.
std::variant<FeedbackBody, BodyError> parse_feedback(std::string_view body,
                                                     const std::vector<std::string>& labels);

// Why `label` is not acceptable feedback (422), or "" when it is.
std::string label_problem(const std::string& label, const std::vector<std::string>& labels);
// A feedback label as the set spells it: as sent when the set holds it, else in Unicode NFC, as
// the data reader reads labels (a client's decomposed "u" + U+0308 is the label "\u00fc"; a set
// recorded by a model trained before labels were read in NFC keeps its own spelling).
std::string spelling_in_set(std::string label, const std::vector<std::string>& labels);

// A prediction id as a client copies it, made the one the gateway gave (an uppercased copy is
// lowercased), or what is wrong with it: every id the gateway gives is 32 hex digits, and
// anything else is a slip (another field's value, a truncated copy), said as such rather than
// as an unknown id. "" when it is one.
std::string prediction_id_problem(std::string& id);

}  // namespace tunecase::serve
