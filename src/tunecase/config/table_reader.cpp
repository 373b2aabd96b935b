#include "tunecase/config/table_reader.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "tunecase/core/ascii_case.h"
#include "tunecase/core/error.h"
#include "tunecase/core/suggest.h"

namespace tunecase {
namespace {

std::string number_text(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

std::string join(const std::vector<std::string>& words, std::string_view sep) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : std::string(sep)) + w;
  return out;
}

}  // namespace

bool Range::contains(double v) const {
  if (min_open ? !(v > min) : !(v >= min)) return false;
  if (max_open ? !(v < max) : !(v <= max)) return false;
  return true;
}

std::string Range::text() const {
  bool lo = std::isfinite(min), hi = std::isfinite(max);
  if (lo && hi && !min_open && !max_open)
    return fmt::format("from {} to {}", number_text(min), number_text(max));
  if (lo && hi)
    return fmt::format("{} {} and {} {}", min_open ? "above" : "at least", number_text(min),
                       max_open ? "below" : "at most", number_text(max));
  if (lo) return fmt::format("{} {}", min_open ? ">" : ">=", number_text(min));
  if (hi) return fmt::format("{} {}", max_open ? "<" : "<=", number_text(max));
  return "any finite number";
}

std::string toml_text(const toml::node& node) {
  if (auto s = node.as_string()) return toml_quoted(s->get());
  if (auto f = node.as_floating_point()) return number_text(f->get());
  std::ostringstream out;
  if (auto t = node.as_table()) {
    out << "{ ";
    bool first = true;
    for (const auto& [k, v] : *t) {
      out << (first ? "" : ", ") << k.str() << " = " << toml_text(v);
      first = false;
    }
    out << " }";
    return out.str();
  }
  if (auto a = node.as_array()) {
    out << "[";
    for (std::size_t i = 0; i < a->size(); ++i) out << (i ? ", " : "") << toml_text(*a->get(i));
    out << "]";
    return out.str();
  }
  node.visit([&out](const auto& n) { out << n; });
  return out.str();
}

std::string toml_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(c));
        else
          out += c;
    }
  }
  return out + "\"";
}

TableReader::TableReader(const toml::table* table, std::string name, std::filesystem::path origin,
                         std::vector<SettingRecord>* records)
    : table_(table), name_(std::move(name)), origin_(std::move(origin)), records_(records) {}

TableReader TableReader::nested(const toml::table* table, std::string_view key) const {
  TableReader r(table, name_, origin_, records_);
  r.key_prefix_ = key_prefix_ + std::string(key) + ".";
  r.describing_ = describing_;
  return r;
}

const toml::node* TableReader::get(std::string_view key) const {
  return table_ == nullptr ? nullptr : table_->get(key);
}

bool TableReader::has(std::string_view key) const {
  return get(key) != nullptr;
}

std::string TableReader::where(std::string_view key) const {
  const toml::node* node = key.empty() ? nullptr : get(key);
  if (node == nullptr) node = table_;
  if (node == nullptr || node->source().begin.line == 0) return origin_.string();
  return fmt::format("{}:{}", origin_.string(), node->source().begin.line);
}

void TableReader::fail(std::string_view key, const std::string& problem) const {
  if (key.empty()) {
    std::string table =
        key_prefix_.empty() ? name_ : name_ + " " + key_prefix_.substr(0, key_prefix_.size() - 1);
    throw UserError(fmt::format("{}: {} {}", where(key), table, problem));
  }
  throw UserError(fmt::format("{}: {} {}{}: {}", where(key), name_, key_prefix_, key, problem));
}

void TableReader::wrong_type(std::string_view key, std::string_view want) const {
  fail(key, fmt::format("must be {}, not {}", want, toml_text(*get(key))));
}

void TableReader::record(std::string_view key, std::string type, std::string fallback,
                         std::string_view doc) {
  known_.emplace_back(key);
  if (records_ == nullptr) return;
  SettingRecord r;
  r.table = name_;
  r.key = key_prefix_ + std::string(key);
  r.type = std::move(type);
  r.fallback = std::move(fallback);
  r.doc = std::string(doc);
  if (const toml::node* n = get(key)) {
    r.value = toml_text(*n);
    r.is_default = false;
    r.line = static_cast<int>(n->source().begin.line);
  } else {
    r.value = r.fallback;
  }
  records_->push_back(std::move(r));
}

double TableReader::checked_number(std::string_view key, const toml::node& node,
                                   Range range) const {
  double v = 0;
  if (auto i = node.as_integer()) {
    v = static_cast<double>(i->get());
  } else if (auto f = node.as_floating_point()) {
    v = f->get();
  } else {
    wrong_type(key, "a number");
  }
  if (!std::isfinite(v)) fail(key, fmt::format("must be a finite number, not {}", toml_text(node)));
  // No volume, price, cost or count a config holds comes near this; beyond it the products the
  // business case multiplies them into lose their meaning (and, past 1e300, their value).
  constexpr double kLargest = 1e15;
  if (std::fabs(v) > kLargest)
    fail(key, fmt::format("{} is beyond any real input (the largest taken is 1e15); check the "
                          "number of digits",
                          toml_text(node)));
  if (!range.contains(v))
    fail(key, fmt::format("must be {}, not {}", range.text(), toml_text(node)));
  return v;
}

std::optional<std::string> TableReader::optional_text(std::string_view key, std::string_view doc,
                                                      const std::vector<std::string>& choices) {
  std::string type = choices.empty() ? "string" : "one of " + join(choices, ", ");
  record(key, type, "", doc);
  const toml::node* n = get(key);
  if (n == nullptr) return std::nullopt;
  auto s = n->value<std::string>();
  if (!s || !n->is_string()) wrong_type(key, "text in quotes");
  if (!choices.empty() && std::find(choices.begin(), choices.end(), *s) == choices.end()) {
    std::vector<std::string> q;
    for (const auto& c : choices) q.push_back(toml_quoted(c));
    fail(key, fmt::format("\"{}\" is not known; use {}{}", *s, join(q, ", "),
                          did_you_mean(*s, choices)));
  }
  return s;
}

std::string TableReader::text(std::string_view key, std::string fallback, std::string_view doc,
                              const std::vector<std::string>& choices) {
  auto v = optional_text(key, doc, choices);
  if (records_ && !records_->empty() && records_->back().key == key_prefix_ + std::string(key) &&
      !v) {
    records_->back().fallback = records_->back().value = toml_quoted(fallback);
  }
  return v ? *v : fallback;
}

std::string TableReader::required_text(std::string_view key, std::string_view doc) {
  auto v = optional_text(key, doc);
  if (records_ && !records_->empty() && records_->back().key == key_prefix_ + std::string(key))
    records_->back().fallback = "(required)";
  if (v && !v->empty()) return *v;
  if (describing_) return "";
  if (v) fail(key, "must not be empty");
  fail("", fmt::format("needs {} = \"...\" ({})", key, doc));
}

std::optional<double> TableReader::optional_number(std::string_view key, Range range,
                                                   std::string_view doc) {
  record(key, fmt::format("number, {}", range.text()), "", doc);
  if (records_ && !records_->empty()) records_->back().range = range;
  const toml::node* n = get(key);
  if (n == nullptr) return std::nullopt;
  return checked_number(key, *n, range);
}

double TableReader::number(std::string_view key, double fallback, Range range,
                           std::string_view doc) {
  auto v = optional_number(key, range, doc);
  if (records_ && !records_->empty() && records_->back().key == key_prefix_ + std::string(key)) {
    records_->back().fallback = number_text(fallback);
    if (!v) records_->back().value = records_->back().fallback;
  }
  return v.value_or(fallback);
}

std::optional<int64_t> TableReader::optional_integer(std::string_view key, Range range,
                                                     std::string_view doc) {
  record(key, fmt::format("whole number, {}", range.text()), "", doc);
  if (records_ && !records_->empty()) records_->back().range = range;
  const toml::node* n = get(key);
  if (n == nullptr) return std::nullopt;
  if (!n->is_integer()) {
    if (n->is_floating_point()) wrong_type(key, "a whole number (no decimal point)");
    wrong_type(key, "a whole number");
  }
  int64_t v = n->as_integer()->get();
  if (!range.contains(static_cast<double>(v)))
    fail(key, fmt::format("must be {}, not {}", range.text(), v));
  return v;
}

int64_t TableReader::integer(std::string_view key, int64_t fallback, Range range,
                             std::string_view doc) {
  auto v = optional_integer(key, range, doc);
  if (records_ && !records_->empty() && records_->back().key == key_prefix_ + std::string(key)) {
    records_->back().fallback = std::to_string(fallback);
    if (!v) records_->back().value = records_->back().fallback;
  }
  return v.value_or(fallback);
}

std::optional<bool> TableReader::optional_boolean(std::string_view key, std::string_view doc) {
  record(key, "true/false", "", doc);
  const toml::node* n = get(key);
  if (n == nullptr) return std::nullopt;
  if (!n->is_boolean()) wrong_type(key, "true or false (without quotes)");
  return n->as_boolean()->get();
}

bool TableReader::boolean(std::string_view key, bool fallback, std::string_view doc) {
  auto v = optional_boolean(key, doc);
  if (records_ && !records_->empty() && records_->back().key == key_prefix_ + std::string(key)) {
    records_->back().fallback = fallback ? "true" : "false";
    if (!v) records_->back().value = records_->back().fallback;
  }
  return v.value_or(fallback);
}

IntPair TableReader::int_pair(std::string_view key, IntPair fallback, Range range,
                              std::string_view doc, bool can_be_off) {
  std::string fallback_text = fallback.min == 0 && fallback.max == 0
                                  ? "false"
                                  : fmt::format("[{}, {}]", fallback.min, fallback.max);
  record(key, can_be_off ? "[min, max] or false" : "[min, max]", fallback_text, doc);
  const toml::node* n = get(key);
  if (n == nullptr) return fallback;
  std::string want = fmt::format(
      "[min, max] with whole numbers {}, min <= max (e.g. {} = [{}, {}]){}", range.text(), key,
      fallback.min, fallback.max, can_be_off ? ", or false to turn it off" : "");
  if (can_be_off && n->is_boolean() && !n->as_boolean()->get()) return {0, 0};
  const toml::array* a = n->as_array();
  if (can_be_off && a && a->empty()) return {0, 0};
  if (!a || a->size() != 2 || !a->get(0)->is_integer() || !a->get(1)->is_integer())
    wrong_type(key, want);
  IntPair p{static_cast<int>(a->get(0)->as_integer()->get()),
            static_cast<int>(a->get(1)->as_integer()->get())};
  if (!range.contains(p.min) || !range.contains(p.max) || p.min > p.max)
    fail(key, fmt::format("must be {}, not {}", want, toml_text(*n)));
  return p;
}

namespace {

template <typename T, typename Check>
std::optional<std::vector<T>> read_list(const TableReader& r, const toml::node* n,
                                        std::string_view key, Check check) {
  if (n == nullptr) return std::nullopt;
  const toml::array* a = n->as_array();
  if (a == nullptr) r.fail(key, fmt::format("must be a list in [ ], not {}", toml_text(*n)));
  if (a->empty()) r.fail(key, "must not be an empty list; leave the key out instead");
  std::vector<T> out;
  for (const auto& item : *a) out.push_back(check(item));
  return out;
}

}  // namespace

std::optional<std::vector<std::string>> TableReader::text_list(
    std::string_view key, std::string_view doc, const std::vector<std::string>& choices) {
  record(key, choices.empty() ? "list of strings" : "list of " + join(choices, ", "), "", doc);
  return read_list<std::string>(*this, get(key), key, [&](const toml::node& item) {
    if (!item.is_string()) fail(key, fmt::format("lists text in quotes, not {}", toml_text(item)));
    std::string s = item.as_string()->get();
    if (!choices.empty() && std::find(choices.begin(), choices.end(), s) == choices.end())
      fail(key, fmt::format("\"{}\" is not known; use {}{}", s, join(choices, ", "),
                            did_you_mean(s, choices)));
    return s;
  });
}

std::optional<std::vector<double>> TableReader::number_list(std::string_view key, Range range,
                                                            std::string_view doc) {
  record(key, fmt::format("list of numbers, {}", range.text()), "", doc);
  return read_list<double>(*this, get(key), key, [&](const toml::node& item) {
    return checked_number(key, item, range);
  });
}

std::optional<std::vector<int64_t>> TableReader::integer_list(std::string_view key, Range range,
                                                              std::string_view doc) {
  record(key, fmt::format("list of whole numbers, {}", range.text()), "", doc);
  return read_list<int64_t>(*this, get(key), key, [&](const toml::node& item) {
    if (!item.is_integer()) fail(key, fmt::format("lists whole numbers, not {}", toml_text(item)));
    int64_t v = item.as_integer()->get();
    if (!range.contains(static_cast<double>(v)))
      fail(key, fmt::format("values must be {}, not {}", range.text(), v));
    return v;
  });
}

std::optional<std::vector<bool>> TableReader::boolean_list(std::string_view key,
                                                           std::string_view doc) {
  record(key, "list of true/false", "", doc);
  return read_list<bool>(*this, get(key), key, [&](const toml::node& item) {
    if (!item.is_boolean()) fail(key, fmt::format("lists true or false, not {}", toml_text(item)));
    return item.as_boolean()->get();
  });
}

const toml::table* TableReader::table(std::string_view key, std::string_view doc,
                                      std::string_view example) {
  known_.emplace_back(key);
  const toml::node* n = get(key);
  if (n == nullptr) return nullptr;
  if (!n->is_table())
    fail(key, fmt::format("must be a table like {}, not {}", example, toml_text(*n)));
  (void)doc;
  return n->as_table();
}

std::string TableReader::subtable_name(std::string_view key) const {
  return fmt::format("{} {}", name_, key);
}

const toml::node* TableReader::node(std::string_view key, std::string_view type,
                                    std::string_view doc) {
  record(key, std::string(type), "", doc);
  return get(key);
}

void TableReader::finish() const {
  if (table_ == nullptr) return;
  for (const auto& [k, v] : *table_) {
    std::string key(k.str());
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    auto other = elsewhere_.find(key);
    if (other != elsewhere_.end()) {
      throw UserError(fmt::format("{}: {} {}: not a key of this table; it belongs to {}",
                                  fmt::format("{}:{}", origin_.string(), v.source().begin.line),
                                  name_, key, other->second));
    }
    // A key written into the file itself: said as the secret it is, not as a misspelling of
    // api_key_env (following that hint had still left the key in a file that gets committed).
    const std::string lower = ascii_lower(key);
    if (std::find(known_.begin(), known_.end(), "api_key_env") != known_.end() &&
        (lower == "api_key" || lower == "apikey" || lower == "key" || lower == "token" ||
         lower == "secret" || lower == "password" || lower.ends_with("_api_key")))
      throw UserError(fmt::format(
          "{}:{}: `{}{}` in {}: tunecase never reads an API key from a config file (the file is "
          "copied into model folders and often committed); delete the line, export the key in "
          "an environment variable (e.g. OPENAI_API_KEY) and name that variable with "
          "api_key_env = \"OPENAI_API_KEY\"",
          origin_.string(), v.source().begin.line, key_prefix_, key, name_));
    auto near = nearest(key, known_);
    std::string hint = near ? fmt::format("; did you mean `{}{}`?", key_prefix_, *near)
                            : fmt::format("; the known keys are {}", join(known_, ", "));
    throw UserError(fmt::format("{}:{}: `{}{}`: unknown key in {}{}", origin_.string(),
                                v.source().begin.line, key_prefix_, key, name_, hint));
  }
}

}  // namespace tunecase
