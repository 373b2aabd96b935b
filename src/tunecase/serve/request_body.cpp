#include "tunecase/serve/request_body.h"

#include <algorithm>
#include <array>
#include <optional>

#include <fmt/format.h>

#include "tunecase/core/json_scan.h"
#include "tunecase/core/suggest.h"
#include "tunecase/core/trim.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/data/normalize.h"
#include "tunecase/data/utf8_check.h"

namespace tunecase::serve {
namespace {

// Why a body cannot be JSON at all (none, or not UTF-8), if it cannot.
std::optional<BodyError> unreadable(std::string_view body) {
  if (body.empty()) return BodyError{400, "the request has no body; send a JSON object"};
  if (auto offset = invalid_utf8_offset(body))
    return BodyError{
        400, fmt::format("the body is not valid UTF-8 (byte {}); send UTF-8 JSON", *offset)};
  return std::nullopt;
}

// How deep a body's arrays and objects may nest. The routes' fields are at most two levels
// deep; "metadata" is the client's own, kept as a document, and a document nested thousands
// deep would exhaust a loop's stack when it is copied or written out (each level a call).
constexpr int kMaxNesting = 64;

// Whether the brackets of `body` (outside its strings) nest deeper than kMaxNesting.
bool nested_too_deeply(std::string_view body) {
  int depth = 0;
  return find_bracket(body, 0,
                      [&depth](std::size_t, char c) {
                        if (c == '{' || c == '[') return ++depth > kMaxNesting;
                        --depth;
                        return false;
                      })
      .has_value();
}

// A key given twice at the top of a body: JSON parsers disagree on which one counts (a proxy or
// a log reading the first, the gateway the last), so it is refused, never read either way.
BodyError duplicate_key(std::string_view key) {
  return BodyError{400, fmt::format("the body gives \"{}\" more than once; send each key once",
                                    key.size() > 64 ? std::string(key.substr(0, 64)) + "..."
                                                    : std::string(key))};
}

// A readable body (see unreadable()) as a JSON object, or why it is not one.
std::variant<nlohmann::json, BodyError> parsed_object(std::string_view body) {
  if (nested_too_deeply(body))
    return BodyError{400, fmt::format("the body nests arrays or objects more than {} levels "
                                      "deep; send a flatter JSON object",
                                      kMaxNesting)};
  std::vector<std::string> keys;  // the top level's, to find one given twice
  std::optional<std::string> twice;
  nlohmann::json j = nlohmann::json::parse(
      body,
      [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event == nlohmann::json::parse_event_t::key && depth == 1 && !twice) {
          std::string key = parsed.get<std::string>();
          if (std::find(keys.begin(), keys.end(), key) != keys.end()) twice = key;
          keys.push_back(std::move(key));
        }
        return true;
      },
      false);
  if (j.is_discarded()) {
    // Where and why, without what it last read (the text itself): a lone surrogate escape
    // ("\ud800") is valid JSON grammar that no string can hold, and the bare "not valid JSON" had
    // left the client nothing to look for.
    std::string why;
    try {
      [[maybe_unused]] const nlohmann::json again = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {  // a parse error, or a number out of range
      why = e.what();
      if (auto at = why.find("line "); at != std::string::npos)
        why = why.substr(at);
      else if (auto tag = why.find("] "); why.starts_with("[") && tag != std::string::npos)
        why = why.substr(tag + 2);
      if (auto last = why.find("; last read"); last != std::string::npos) why.resize(last);
    }
    return BodyError{
        400, why.empty() ? std::string("the body is not valid JSON; send a JSON object")
                         : fmt::format("the body is not valid JSON ({}); send a JSON object", why)};
  }
  if (!j.is_object())
    return BodyError{400, fmt::format("the body is a JSON {}, not an object; send a JSON object",
                                      j.type_name())};
  if (twice) return duplicate_key(*twice);
  return j;
}

// The body as a JSON object, or why it is not one.
std::variant<nlohmann::json, BodyError> json_object(std::string_view body) {
  if (auto problem = unreadable(body)) return *problem;
  return parsed_object(body);
}

// One top-level field of a body, as the checks below need it: read from a parsed document, or
// from the parser's events without building one (the classify route, on every request).
struct Field {
  enum class Kind { absent, null, string, integer, other } kind = Kind::absent;
  std::string text;       // a string; an integer as its decimal text
  int64_t integer = 0;    // an integer (one beyond int64 wraps, as json's get<int64_t>)
  const char* type = "";  // the JSON type name, for messages
};

Field field_of(const nlohmann::json& j, const char* key) {
  Field f;
  auto it = j.find(key);
  if (it == j.end()) return f;
  f.type = it->type_name();
  if (it->is_null()) {
    f.kind = Field::Kind::null;
  } else if (it->is_string()) {
    f.kind = Field::Kind::string;
    f.text = it->get<std::string>();
  } else if (it->is_number_integer()) {
    f.kind = Field::Kind::integer;
    f.integer = it->get<int64_t>();
    f.text = it->dump();
  } else {
    f.kind = Field::Kind::other;
  }
  return f;
}

bool missing(const Field& f) {
  return f.kind == Field::Kind::absent || f.kind == Field::Kind::null;
}

// A NUL character (\u0000) in a field the store keeps: PostgreSQL cuts text at it, so "T-7\u0000a"
// and "T-7\u0000b" had become one item there (and a feedback for one labelled both), while
// SQLite kept them apart.
std::optional<BodyError> nul_in(const std::string& text, const char* key) {
  if (text.find('\0') == std::string::npos) return std::nullopt;
  return BodyError{400, fmt::format("\"{}\" holds a NUL character (\\u0000), which the store "
                                    "cannot keep; remove it and send again",
                                    key)};
}

// A string field, a number given for an id, or why neither.
// An id's surrounding whitespace goes, as `tunecase feedback` trims an id cell: " T-1" from one
// system and "T-1" from an export name the same item.
std::variant<std::string, BodyError> id_field(Field f, const char* key) {
  if (missing(f)) return std::string();
  if (auto nul = nul_in(f.text, key)) return *nul;
  if (f.kind == Field::Kind::string) return trimmed(f.text);
  if (f.kind == Field::Kind::integer) return std::move(f.text);
  if (std::string_view(f.type) == "number")  // a fraction, or a whole number past 64 bits
    return BodyError{400, fmt::format("\"{}\" is a number that is not a whole number of at most "
                                      "64 bits; send the id as a string",
                                      key)};
  return BodyError{400,
                   fmt::format("\"{}\" must be a string (or an integer), not {}", key, f.type)};
}

std::variant<std::string, BodyError> string_field(Field f, const char* key) {
  if (missing(f)) return std::string();
  if (auto nul = nul_in(f.text, key)) return *nul;
  if (f.kind == Field::Kind::string) return std::move(f.text);
  return BodyError{400, fmt::format("\"{}\" must be a string, not {}", key, f.type)};
}

// "at": an integer of milliseconds or an ISO-8601 UTC time.
std::variant<std::optional<int64_t>, BodyError> at_field(const Field& f) {
  if (missing(f)) return std::optional<int64_t>();
  // Milliseconds before 1973 are Unix seconds sent by mistake (1740830400 is 2025-03-01 in
  // seconds, 1970-01-21 in milliseconds): refused, as a replay clock that never goes back had
  // moved every such request to its own time without a word, all on one day.
  if (f.kind == Field::Kind::integer && f.integer >= kUnixSecondsBelow)
    return std::optional<int64_t>(f.integer);
  if (f.kind == Field::Kind::integer && f.integer > 0)
    return BodyError{
        400, fmt::format("\"at\" {} is {} as milliseconds since 1970, as \"at\" is read: if "
                         "it is Unix seconds, send {} (milliseconds) or an ISO-8601 UTC time "
                         "such as \"2025-08-14T09:30:00Z\"",
                         f.integer, utc_text(f.integer), f.integer * 1000)};
  if (f.kind == Field::Kind::string)
    if (auto ms = parse_utc_time(f.text)) return ms;
  // Said for what was sent: 0 had been told to send 0, and a number with a fraction or an
  // exponent (1e12) had got only the list of forms.
  std::string why;
  if (f.kind == Field::Kind::integer)
    why = f.integer == 0 ? " (0 is no time of a request)" : " (a time before 1970 is none)";
  else if (std::string_view(f.type) == "number")
    why = " (a whole number of milliseconds: no fraction or exponent such as 1e12)";
  else if (f.kind == Field::Kind::string)
    why = fmt::format(
        " ('{}' is not one: YYYY-MM-DD, then optionally Thh:mm[:ss[.fff]] and Z "
        "or an offset such as +05:30)",
        visible(f.text.substr(0, 40)));
  return BodyError{400, fmt::format("\"at\" must be milliseconds since 1970 or an ISO-8601 UTC "
                                    "time such as \"2025-08-14T09:30:00Z\"{}",
                                    why)};
}

// The top-level fields of a classify body the route reads, by key.
struct ClassifyFieldSet {
  Field text, id, segment, at;

  std::optional<std::string> twice;  // a top-level key given more than once (the first such)

  // The field a top-level `key` fills, or nullptr for one the route does not read.
  Field* slot(std::string_view key) {
    return key == "text"      ? &text
           : key == "id"      ? &id
           : key == "segment" ? &segment
           : key == "at"      ? &at
                              : nullptr;
  }
};

// The top-level fields of a classify body, read from the parser's events. A top-level key given
// twice is noted (ClassifyFieldSet::twice) and refused. Declines (false from read()) a body with
// "metadata", which is kept whole, and anything that is not a well-formed object: the document
// is parsed then, and says what is wrong.
class ClassifyFields final : public nlohmann::json_sax<nlohmann::json>, public ClassifyFieldSet {
 public:
  bool read(std::string_view body) { return nlohmann::json::sax_parse(body, this) && object_; }

  bool null() override { return value(Field::Kind::null, "null"); }
  bool boolean(bool) override { return value(Field::Kind::other, "boolean"); }
  bool number_integer(number_integer_t v) override {
    return integer(v, [&] { return std::to_string(v); });
  }
  bool number_unsigned(number_unsigned_t v) override {
    return integer(static_cast<int64_t>(v), [&] { return std::to_string(v); });
  }
  bool number_float(number_float_t, const string_t&) override {
    return value(Field::Kind::other, "number");
  }
  bool string(string_t& v) override {
    if (Field* f = current()) {
      *f = {Field::Kind::string, std::move(v), 0, "string"};
      return true;
    }
    return depth_ > 0;
  }
  bool binary(binary_t&) override { return value(Field::Kind::other, "binary"); }
  bool start_object(std::size_t) override { return open("object"); }
  bool start_array(std::size_t) override { return open("array"); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (depth_ != 1) return true;
    if (k == "metadata") return false;  // kept as a document: parse the body whole
    if (!twice && std::find(keys_.begin(), keys_.end(), k) != keys_.end()) twice = k;
    keys_.push_back(k);
    field_ = slot(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  // The field the value about to be read is, when it is a top-level one of interest.
  Field* current() const { return depth_ == 1 ? field_ : nullptr; }

  bool value(Field::Kind kind, const char* type) {
    if (Field* f = current()) *f = {kind, {}, 0, type};
    return depth_ > 0;  // a body that is a bare value is not an object: the document says so
  }

  template <typename Text>
  bool integer(int64_t v, Text text) {
    if (Field* f = current()) *f = {Field::Kind::integer, text(), v, "number"};
    return depth_ > 0;
  }

  bool open(const char* type) {
    if (depth_ == 0) {
      if (std::string_view(type) != "object") return false;
      object_ = true;
    } else if (Field* f = current()) {
      *f = {Field::Kind::other, {}, 0, type};
    }
    ++depth_;
    return true;
  }

  bool close() {
    --depth_;
    return true;
  }

  int depth_ = 0;
  Field* field_ = nullptr;
  bool object_ = false;
  std::vector<std::string> keys_;  // the top level's
};

// The common classify body, a flat object of plain strings ({"text": "...", "id": "..."}), read
// by one scan: no parser, no events. Declines (false) everything else, for ClassifyFields to
// read: a value that is not a string, an escape or a control character in a key or value,
// "metadata", anything after the object, more than 8 keys. A key given twice is noted, refused.
// The body is valid UTF-8 already (unreadable()).
class FlatClassifyScan : public ClassifyFieldSet {
 public:
  bool read(std::string_view body) {
    body_ = body;
    pos_ = 0;
    skip_space();
    if (!take('{')) return false;
    skip_space();
    if (take('}')) return rest_is_space();
    while (true) {
      std::string_view key, value;
      if (!string(key)) return false;
      skip_space();
      if (!take(':')) return false;
      skip_space();
      if (!string(value)) return false;
      if (key == "metadata") return false;           // kept as a document
      if (keys_ == keys_seen_.size()) return false;  // many keys: the parser's events read them
      for (std::size_t k = 0; k < keys_ && !twice; ++k)
        if (keys_seen_[k] == key) twice = std::string(key);
      keys_seen_[keys_++] = key;
      if (Field* f = slot(key)) *f = {Field::Kind::string, std::string(value), 0, "string"};
      skip_space();
      if (take('}')) return rest_is_space();
      if (!take(',')) return false;
      skip_space();
    }
  }

 private:
  bool take(char c) {
    if (pos_ >= body_.size() || body_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void skip_space() {
    while (pos_ < body_.size() && (body_[pos_] == ' ' || body_[pos_] == '\t' ||
                                   body_[pos_] == '\n' || body_[pos_] == '\r'))
      ++pos_;
  }
  bool rest_is_space() {
    skip_space();
    return pos_ == body_.size();
  }
  // A string without escapes or control characters; its bytes, unquoted.
  bool string(std::string_view& out) {
    if (!take('"')) return false;
    std::size_t start = pos_;
    while (pos_ < body_.size()) {
      unsigned char c = static_cast<unsigned char>(body_[pos_]);
      if (c == '"') {
        out = body_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c == '\\' || c < 0x20) return false;
      ++pos_;
    }
    return false;
  }

  std::string_view body_;
  std::size_t pos_ = 0;
  std::array<std::string_view, 8> keys_seen_;  // the first keys_ of them
  std::size_t keys_ = 0;
};

// The checks of a classify body, in the order its fields are reported.
std::variant<ClassifyBody, BodyError> classify_body(Field text, Field id, Field segment,
                                                    const Field& at, nlohmann::json metadata) {
  ClassifyBody out;
  if (text.kind == Field::Kind::null)
    return BodyError{400, "\"text\" must be a string, not null: send the text to classify"};
  if (missing(text))
    return BodyError{400, "missing \"text\": send {\"text\": \"the text to classify\"}"};
  if (text.kind != Field::Kind::string)
    return BodyError{400, fmt::format("\"text\" must be a string, not {}", text.type)};
  out.text = std::move(text.text);
  if (blank(out.text)) return BodyError{422, "\"text\" is empty; send the text to classify"};
  if (auto nul = nul_in(out.text, "text")) return *nul;
  auto parsed_id = id_field(std::move(id), "id");
  if (auto* e = std::get_if<BodyError>(&parsed_id)) return *e;
  out.id = std::get<std::string>(std::move(parsed_id));
  auto parsed_segment = string_field(std::move(segment), "segment");
  if (auto* e = std::get_if<BodyError>(&parsed_segment)) return *e;
  out.segment = std::get<std::string>(std::move(parsed_segment));
  if (!metadata.is_null()) {
    if (!metadata.is_object())
      return BodyError{400,
                       fmt::format("\"metadata\" must be an object, not {}", metadata.type_name())};
    out.metadata = std::move(metadata);
  }
  auto parsed_at = at_field(at);
  if (auto* e = std::get_if<BodyError>(&parsed_at)) return *e;
  out.at_ms = std::get<std::optional<int64_t>>(parsed_at);
  return out;
}

}  // namespace

std::variant<ClassifyBody, BodyError> parse_classify(std::string_view body) {
  if (auto problem = unreadable(body)) return *problem;
  if (FlatClassifyScan flat; flat.read(body)) {
    if (flat.twice) return duplicate_key(*flat.twice);
    return classify_body(std::move(flat.text), std::move(flat.id), std::move(flat.segment), flat.at,
                         nullptr);
  }
  ClassifyFields fields;
  if (fields.read(body)) {
    if (fields.twice) return duplicate_key(*fields.twice);
    return classify_body(std::move(fields.text), std::move(fields.id), std::move(fields.segment),
                         fields.at, nullptr);
  }
  auto parsed = parsed_object(body);  // "metadata", or a body the reading declined
  if (auto* e = std::get_if<BodyError>(&parsed)) return *e;
  const auto& j = std::get<nlohmann::json>(parsed);
  auto metadata = j.find("metadata");
  return classify_body(field_of(j, "text"), field_of(j, "id"), field_of(j, "segment"),
                       field_of(j, "at"), metadata == j.end() ? nullptr : *metadata);
}

std::string prediction_id_problem(std::string& id) {
  for (char& c : id)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  if (id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos) return "";
  return fmt::format("'{}' is not a prediction id (32 hex digits, as classify answered)",
                     id.size() > 64 ? id.substr(0, 64) + "..." : id);
}

std::string spelling_in_set(std::string label, const std::vector<std::string>& labels) {
  if (std::find(labels.begin(), labels.end(), label) != labels.end()) return label;
  return nfc_text(label);
}

namespace {

// `text` with each run of spaces, tabs and line breaks made one space, and none at either end.
std::string single_spaced(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// What tells `label` apart from `known`, which normalize_text reads as the same: a character that
// does not show, spacing, letter case (in any script: "RÜCKGABE"), or a Unicode form.
std::string how_it_differs(const std::string& label, const std::string& known) {
  if (visible(label) != label)
    return "It holds a character that does not show (a zero-width space or joiner, a soft "
           "hyphen, a byte-order mark: written \\u{...} above)";
  if (visible(known) != known)
    return "The label set's spelling holds a character that does not show (written \\u{...})";
  if (single_spaced(label) == single_spaced(known))
    return "The same words spaced otherwise (spaces, tabs or line breaks)";
  auto folded = [](const std::string& s) { return lower_text(nfc_text(single_spaced(s))); };
  if (folded(label) == folded(known)) return "The same letters in another letter case";
  return "The same letters in another Unicode form, such as full-width or half-width characters";
}

// A label to send back as it is spelt, and, when it holds characters that do not show (a zero-
// width joiner in an emoji), how it is written.
std::string to_send(const std::string& known) {
  const std::string shown = visible(known);
  return shown == known ? fmt::format("'{}'", known)
                        : fmt::format("'{}' (written '{}')", known, shown);
}

}  // namespace

std::string label_problem(const std::string& label, const std::vector<std::string>& labels) {
  if (labels.empty() || std::find(labels.begin(), labels.end(), label) != labels.end()) return "";
  // Each label quoted (a label may hold a comma), the nearest first when one is close (a case
  // or spelling slip), and at most kListed of a large label set.
  constexpr std::size_t kListed = 20;
  // The same letters in another case or compatibility form (full-width, half-width katakana):
  // named as such, since the two may look alike or the same.
  const std::string folded = normalize_text(label);
  for (const std::string& known : labels)
    if (normalize_text(known) == folded)
      return fmt::format(
          "label '{}' is not in the label set (did you mean {}? {}: send the label as the "
          "label set spells it)",
          visible(label), to_send(known), how_it_differs(label, known));
  const std::vector<std::string> near = nearest_all(label, labels);
  return fmt::format(
      "label '{}' is not in the label set{}; the {} labels: {}{}", visible(label),
      near.empty() ? "" : fmt::format(" (did you mean {}?)", quoted_alternatives(near)),
      labels.size(), quoted_list(labels, kListed),
      !near.empty() ? ""
                    : ". A new category: record it with `tunecase feedback --new-labels FILE` and "
                      "`tunecase retrain`, or add it to [labels] and restart");
}

std::variant<FeedbackBody, BodyError> parse_feedback(std::string_view body,
                                                     const std::vector<std::string>& labels) {
  auto parsed = json_object(body);
  if (auto* e = std::get_if<BodyError>(&parsed)) return *e;
  const auto& j = std::get<nlohmann::json>(parsed);
  auto id = id_field(field_of(j, "id"), "id");
  if (auto* e = std::get_if<BodyError>(&id)) return *e;
  auto prediction_id = string_field(field_of(j, "prediction_id"), "prediction_id");
  if (auto* e = std::get_if<BodyError>(&prediction_id)) return *e;
  FeedbackBody out;
  const auto& by_id = std::get<std::string>(id);
  const auto& by_prediction = std::get<std::string>(prediction_id);
  if (by_id.empty() && by_prediction.empty() &&
      (field_of(j, "id").kind == Field::Kind::string ||
       field_of(j, "prediction_id").kind == Field::Kind::string))
    return BodyError{
        400, fmt::format("\"{}\" is empty; send your item's \"id\" (the one given to "
                         "/v1/classify), or the \"prediction_id\" its answer gave",
                         field_of(j, "id").kind == Field::Kind::string ? "id" : "prediction_id")};
  if (by_id.empty() == by_prediction.empty())
    return BodyError{400, "send exactly one of \"id\" (your item's id) and \"prediction_id\""};
  out.by = by_id.empty() ? Feedback::By::prediction_id : Feedback::By::request_id;
  out.id = by_id.empty() ? trimmed(by_prediction) : by_id;
  if (out.by == Feedback::By::prediction_id)
    if (std::string problem = prediction_id_problem(out.id); !problem.empty())
      return BodyError{400, "\"prediction_id\" " + problem +
                                "; send that one, or your item's "
                                "\"id\" instead"};
  if (field_of(j, "label").kind == Field::Kind::null)
    return BodyError{400,
                     "\"label\" must be a string, not null: send the correct label of the item"};
  auto label = string_field(field_of(j, "label"), "label");
  if (auto* e = std::get_if<BodyError>(&label)) return *e;
  // Surrounding spaces go (Unicode's, and characters that show nothing), as the data reader and
  // `tunecase feedback` trim a label cell.
  const std::string& sent = std::get<std::string>(label);
  out.label = spelling_in_set(trimmed_blank(sent), labels);
  if (out.label.empty())
    return BodyError{400, sent.empty() || trimmed(sent).empty()
                              ? "missing \"label\": send the correct label of the item"
                              : "\"label\" holds only spaces or characters that do not show; "
                                "send the correct label of the item"};
  if (std::string problem = label_problem(out.label, labels); !problem.empty())
    return BodyError{422, problem};
  auto at = at_field(field_of(j, "at"));
  if (auto* e = std::get_if<BodyError>(&at)) return *e;
  out.at_ms = std::get<std::optional<int64_t>>(at);
  return out;
}

}  // namespace tunecase::serve
