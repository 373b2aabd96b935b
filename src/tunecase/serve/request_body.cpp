#include "tunecase/serve/request_body.h"

#include <algorithm>

#include <fmt/format.h>

#include "tunecase/core/utc_time.h"
#include "tunecase/data/utf8_check.h"

namespace tunecase::serve {
namespace {

// The body as a JSON object, or why it is not one.
std::variant<nlohmann::json, BodyError> json_object(std::string_view body) {
  if (body.empty()) return BodyError{400, "the request has no body; send a JSON object"};
  if (auto offset = invalid_utf8_offset(body))
    return BodyError{
        400, fmt::format("the body is not valid UTF-8 (byte {}); send UTF-8 JSON", *offset)};
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return BodyError{400, "the body is not valid JSON; send a JSON object"};
  if (!j.is_object())
    return BodyError{
        400, fmt::format("the body is JSON {}, not an object; send a JSON object", j.type_name())};
  return j;
}

// A string field, a number given for an id, or why neither.
std::variant<std::string, BodyError> id_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  return BodyError{
      400, fmt::format("\"{}\" must be a string (or an integer), not {}", key, it->type_name())};
}

std::variant<std::string, BodyError> string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  return BodyError{400, fmt::format("\"{}\" must be a string, not {}", key, it->type_name())};
}

// "at": an integer of milliseconds or an ISO-8601 UTC time.
std::variant<std::optional<int64_t>, BodyError> at_field(const nlohmann::json& j) {
  auto it = j.find("at");
  if (it == j.end() || it->is_null()) return std::optional<int64_t>();
  if (it->is_number_integer() && it->get<int64_t>() >= 0)
    return std::optional<int64_t>(it->get<int64_t>());
  if (it->is_string())
    if (auto ms = parse_utc_time(it->get<std::string>())) return ms;
  return BodyError{400,
                   "\"at\" must be milliseconds since 1970 or an ISO-8601 UTC time such as "
                   "\"2025-08-14T09:30:00Z\""};
}

}  // namespace

std::variant<ClassifyBody, BodyError> parse_classify(std::string_view body) {
  auto parsed = json_object(body);
  if (auto* e = std::get_if<BodyError>(&parsed)) return *e;
  const auto& j = std::get<nlohmann::json>(parsed);
  ClassifyBody out;
  auto text = j.find("text");
  if (text == j.end() || text->is_null())
    return BodyError{400, "missing \"text\": send {\"text\": \"the text to classify\"}"};
  if (!text->is_string())
    return BodyError{400, fmt::format("\"text\" must be a string, not {}", text->type_name())};
  out.text = text->get<std::string>();
  if (out.text.find_first_not_of(" \t\r\n") == std::string::npos)
    return BodyError{422, "\"text\" is empty; send the text to classify"};
  auto id = id_field(j, "id");
  if (auto* e = std::get_if<BodyError>(&id)) return *e;
  out.id = std::get<std::string>(id);
  auto segment = string_field(j, "segment");
  if (auto* e = std::get_if<BodyError>(&segment)) return *e;
  out.segment = std::get<std::string>(segment);
  if (auto m = j.find("metadata"); m != j.end() && !m->is_null()) {
    if (!m->is_object())
      return BodyError{400, fmt::format("\"metadata\" must be an object, not {}", m->type_name())};
    out.metadata = *m;
  }
  auto at = at_field(j);
  if (auto* e = std::get_if<BodyError>(&at)) return *e;
  out.at_ms = std::get<std::optional<int64_t>>(at);
  return out;
}

std::string label_problem(const std::string& label, const std::vector<std::string>& labels) {
  if (labels.empty() || std::find(labels.begin(), labels.end(), label) != labels.end()) return "";
  std::string list;
  for (const auto& l : labels) list += (list.empty() ? "" : ", ") + l;
  return fmt::format("label '{}' is not in the label set; use one of: {}", label, list);
}

std::variant<FeedbackBody, BodyError> parse_feedback(std::string_view body,
                                                     const std::vector<std::string>& labels) {
  auto parsed = json_object(body);
  if (auto* e = std::get_if<BodyError>(&parsed)) return *e;
  const auto& j = std::get<nlohmann::json>(parsed);
  auto id = id_field(j, "id");
  if (auto* e = std::get_if<BodyError>(&id)) return *e;
  auto prediction_id = string_field(j, "prediction_id");
  if (auto* e = std::get_if<BodyError>(&prediction_id)) return *e;
  FeedbackBody out;
  const auto& by_id = std::get<std::string>(id);
  const auto& by_prediction = std::get<std::string>(prediction_id);
  if (by_id.empty() == by_prediction.empty())
    return BodyError{400, "send exactly one of \"id\" (your item's id) and \"prediction_id\""};
  out.by = by_id.empty() ? Feedback::By::prediction_id : Feedback::By::request_id;
  out.id = by_id.empty() ? by_prediction : by_id;
  auto label = string_field(j, "label");
  if (auto* e = std::get_if<BodyError>(&label)) return *e;
  out.label = std::get<std::string>(label);
  if (out.label.empty())
    return BodyError{400, "missing \"label\": send the correct label of the item"};
  if (std::string problem = label_problem(out.label, labels); !problem.empty())
    return BodyError{422, problem};
  auto at = at_field(j);
  if (auto* e = std::get_if<BodyError>(&at)) return *e;
  out.at_ms = std::get<std::optional<int64_t>>(at);
  return out;
}

}  // namespace tunecase::serve
