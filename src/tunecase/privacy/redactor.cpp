#include "tunecase/privacy/redactor.h"

#include <algorithm>
#include <set>

#include "tunecase/core/ascii_case.h"

namespace tunecase {
namespace {

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_word(char c) {
  return is_upper(c) || is_digit(c) || (c >= 'a' && c <= 'z') || c == '_';
}

// A placeholder at i ("<KIND_12>"): its end, or 0.
std::size_t placeholder_at(std::string_view t, std::size_t i) {
  if (t[i] != '<' || i + 4 >= t.size() || !is_upper(t[i + 1])) return 0;
  std::size_t p = i + 1;
  while (p < t.size() && (is_upper(t[p]) || is_digit(t[p]) || t[p] == '_')) ++p;
  if (p >= t.size() || t[p] != '>') return 0;
  // KIND_N: an underscore followed by digits only, right before '>'.
  std::size_t u = p;
  while (u > i + 1 && is_digit(t[u - 1])) --u;
  if (u == p || u < i + 3 || t[u - 1] != '_') return 0;
  return p + 1;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace

void add_counts(RedactionCounts& into, const RedactionCounts& more) {
  for (const auto& [kind, n] : more) into[kind] += n;
}

const std::string* PlaceholderMap::find(const std::string& kind, std::string_view value) const {
  if (base_ != nullptr)
    if (const std::string* p = base_->find(kind, value)) return p;
  auto it = placeholders_.find(std::make_pair(std::string_view(kind), value));
  return it == placeholders_.end() ? nullptr : &it->second;
}

int64_t PlaceholderMap::base_numbers(const std::string& kind) const {
  if (base_ == nullptr) return 0;
  auto given = base_->next_.find(kind);
  auto skipped = base_->skipped_.find(kind);
  return base_->base_numbers(kind) + (given == base_->next_.end() ? 0 : given->second) +
         (skipped == base_->skipped_.end() ? 0 : skipped->second);
}

const std::string& PlaceholderMap::placeholder(const std::string& kind, std::string_view value) {
  if (const std::string* known = find(kind, value)) return *known;
  const std::string prefix = "<" + upper(kind) + "_";
  auto numbered = [&] {
    return prefix + std::to_string(base_numbers(kind) + next_[kind] + skipped_[kind] + 1) + ">";
  };
  std::string made = numbered();
  while (reserved_.count(made) > 0) {
    ++skipped_[kind];
    made = numbered();
  }
  ++next_[kind];
  return placeholders_.emplace(std::make_pair(kind, std::string(value)), std::move(made))
      .first->second;
}

RedactionCounts PlaceholderMap::counts() const {
  RedactionCounts out = base_ == nullptr ? RedactionCounts{} : base_->counts();
  for (const auto& [kind, n] : next_) out[kind] += n;
  return out;
}

std::vector<std::pair<std::string, std::string>> PlaceholderMap::values() const {
  std::vector<std::pair<std::string, std::string>> out;
  for_each_value(
      [&](const std::string& kind, const std::string& value) { out.emplace_back(kind, value); });
  return out;
}

Redactor::Redactor(RedactionRules rules) : rules_(std::move(rules)) {
  // Built-in kinds run in the fixed precedence order whatever order the config lists them in.
  std::vector<std::string> ordered;
  for (const auto& k : builtin_pii_kinds())
    if (std::find(rules_.kinds.begin(), rules_.kinds.end(), k) != rules_.kinds.end())
      ordered.push_back(k);
  rules_.kinds = std::move(ordered);
  reads_numbers_ = std::any_of(rules_.kinds.begin(), rules_.kinds.end(), [](const std::string& k) {
    return k == "iban" || k == "card" || k == "phone" || k == "ip";
  });
}

std::vector<std::pair<std::size_t, std::size_t>> find_placeholders(std::string_view t) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t i = t.find('<'); i != std::string_view::npos; i = t.find('<', i + 1)) {
    if (std::size_t e = placeholder_at(t, i)) {
      out.emplace_back(i, e);
      i = e - 1;
    }
  }
  return out;
}

RedactionCounts count_placeholders(std::string_view t) {
  std::set<std::string_view> seen;
  RedactionCounts out;
  std::size_t line_end = 0;
  for (auto [b, e] : find_placeholders(t)) {
    // Each line is redacted on its own in a training file (its numbering starts again at 1), so
    // the same placeholder on another line is another value.
    if (b >= line_end) {
      seen.clear();
      line_end = t.find('\n', b);
      if (line_end == std::string_view::npos) line_end = t.size();
    }
    std::string_view token = t.substr(b, e - b);
    if (!seen.insert(token).second) continue;
    std::string_view inner = token.substr(1, token.size() - 2);
    out[ascii_lower(inner.substr(0, inner.rfind('_')))] += 1;
  }
  return out;
}

namespace {

// The text as detection reads it: line breaks and tabs as spaces, as prompts carry it, and a
// no-break space (U+00A0, or the narrow U+202F, as pasted from web pages) as two or three spaces,
// so that a number written across them is one number; the full-width forms of ASCII (U+FF01 to
// U+FF5E: "０９０－１２３４", "ｍａｒｉａ＠ｅｘａｍｐｌｅ．ｃｏｍ", as East Asian input methods
// type them), the ideographic space (U+3000), the dashes a number is written with (U+2010 to
// U+2013, the minus sign U+2212) and the typographic apostrophe (U+2019) as their ASCII
// characters, so that the detectors, which read ASCII, find them.
class DetectionView {
 public:
  // `text` as detection reads it: `text` itself when nothing is to change (most texts, CJK
  // ones included: nothing is copied for them), else the view, valid until the next read().
  std::string_view read(std::string_view text);
  // Where the view's byte i lies in the text last read (i itself when the view kept its
  // length, or when read() returned the text).
  std::size_t to_text(std::size_t i) const { return origin_.empty() ? i : origin_[i]; }

 private:
  std::string text_;
  // origin_[i]: where the character holding the view's byte i begins in the text, one more
  // entry for the text's end; empty while the view has the text's length.
  std::vector<std::size_t> origin_;
};

// The ASCII character detection reads for the 3-byte UTF-8 character at p, or 0 to keep it.
char folded_to_ascii(const unsigned char* p) {
  unsigned cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
  if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
  if (cp >= 0xFF01 && cp <= 0xFF5E) return static_cast<char>(cp - 0xFEE0);
  if (cp == 0x3000) return ' ';
  if ((cp >= 0x2010 && cp <= 0x2013) || cp == 0x2212) return '-';
  if (cp == 0x2019) return '\'';  // the typographic apostrophe, in a name's address (o’brien@)
  return 0;
}

std::string_view DetectionView::read(std::string_view text) {
  text_.clear();
  origin_.clear();
  if (text.find_first_of("\n\r\t\xC2\xE2\xE3\xEF") == std::string_view::npos) return text;
  bool changed = false, shorter = false;
  auto bytes = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    std::size_t width = 1;
    std::string_view as;  // what the view holds for text[i, i + width)
    char folded = 0;
    if (c == '\n' || c == '\r' || c == '\t') {
      as = " ";
    } else if (c == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {
      width = 2, as = "  ";
    } else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
               text[i + 2] == '\xAF') {
      width = 3, as = "   ";
    } else if ((c == '\xE2' || c == '\xE3' || c == '\xEF') && i + 2 < text.size() &&
               (folded = folded_to_ascii(bytes + i)) != 0) {
      width = 3, as = std::string_view(&folded, 1);
    }
    if (as.empty()) {  // kept: copied only once the view differs from the text
      if (changed) text_ += c;
      if (shorter) origin_.push_back(i);
      ++i;
      continue;
    }
    if (!changed) {
      text_.reserve(text.size());
      text_.assign(text.substr(0, i));
      changed = true;
    }
    if (as.size() < width && !shorter) {  // the map starts here: every earlier byte is its own
      shorter = true;
      origin_.resize(text_.size());
      for (std::size_t k = 0; k < origin_.size(); ++k) origin_[k] = k;
    }
    text_ += as;
    if (shorter) origin_.insert(origin_.end(), as.size(), i);
    i += width;
  }
  if (!changed) return text;
  if (shorter) origin_.push_back(text.size());
  return text_;
}

}  // namespace

std::vector<PiiSpan> Redactor::detect(std::string_view text) const {
  // Read as redact() reads it (DetectionView).
  DetectionView view;
  std::string_view seen = view.read(text);
  std::vector<PiiSpan> spans = detect(seen, find_placeholders(seen));
  for (auto& s : spans) s.begin = view.to_text(s.begin), s.end = view.to_text(s.end);
  return spans;
}

std::vector<PiiSpan> Redactor::detect(std::string_view text, const Ranges& placeholders) const {
  std::vector<PiiSpan> accepted;
  if (!enabled()) return accepted;
  // Taken ranges, kept sorted by begin: existing placeholders first, then each kind's matches.
  Ranges taken = placeholders;
  auto overlaps = [&](const PiiSpan& s) {
    auto it = std::lower_bound(taken.begin(), taken.end(), std::make_pair(s.end, std::size_t{0}));
    return it != taken.begin() && std::prev(it)->second > s.begin;
  };
  // A phone number whose tail another detector took (a card's Luhn window that began inside it:
  // "+44 20 7946 0958 1234-5678-9012-3456"): the rest of it is replaced too, where it holds two
  // digits or more ("+44 20" had gone out beside the card's placeholder).
  auto pieces_outside = [&](const PiiSpan& s) {
    std::vector<PiiSpan> pieces;
    std::size_t at = s.begin;
    for (const auto& [b, e] : taken) {
      if (e <= at) continue;
      if (b >= s.end) break;
      if (b > at) pieces.push_back({at, b, s.kind});
      at = std::max(at, e);
    }
    if (at < s.end) pieces.push_back({at, s.end, s.kind});
    std::vector<PiiSpan> kept;
    for (PiiSpan& p : pieces) {
      auto separator = [&](char c) { return c == ' ' || c == '-' || c == '.' || c == '/'; };
      while (p.end > p.begin && (separator(text[p.end - 1]) || text[p.end - 1] == '(')) --p.end;
      while (p.end > p.begin && (separator(text[p.begin]) || text[p.begin] == ')')) ++p.begin;
      std::size_t digits = 0;
      for (std::size_t k = p.begin; k < p.end; ++k) digits += text[k] >= '0' && text[k] <= '9';
      if (digits >= 2) kept.push_back(std::move(p));
    }
    return kept;
  };
  std::vector<PiiSpan> found;
  auto take = [&] {
    std::vector<PiiSpan> parts;
    for (auto& s : found)
      if (s.end > s.begin && s.kind == "phone" && overlaps(s))
        for (PiiSpan& p : pieces_outside(s)) parts.push_back(std::move(p));
    found.insert(found.end(), parts.begin(), parts.end());
    for (auto& s : found) {
      if (s.end <= s.begin || overlaps(s)) continue;
      taken.insert(std::upper_bound(taken.begin(), taken.end(), std::make_pair(s.begin, s.end)),
                   {s.begin, s.end});
      accepted.push_back(std::move(s));
    }
    found.clear();
  };
  // Read once, shared by the detectors of numbers (and not read when none is enabled).
  DigitRuns runs(reads_numbers_ ? text : std::string_view());
  for (const auto& kind : rules_.kinds) {
    find_pii(kind, text, runs, found);
    take();
  }
  for (const auto& pattern : rules_.custom) {
    pattern.find(text, found);
    take();
  }
  std::sort(accepted.begin(), accepted.end(),
            [](const PiiSpan& a, const PiiSpan& b) { return a.begin < b.begin; });
  return accepted;
}

bool Redactor::may_detect(std::string_view text) const {
  DetectionView view;
  std::string_view seen = view.read(text);
  return may_detect(seen, find_placeholders(seen));
}

bool Redactor::may_detect(std::string_view text, const Ranges& placeholders) const {
  if (!enabled()) return false;
  // A match never overlaps a placeholder, so it lies within one of the stretches between them.
  std::vector<std::string_view> outside;
  std::size_t at = 0;
  for (auto [b, e] : placeholders) {
    if (b > at) outside.push_back(text.substr(at, b - at));
    at = e;
  }
  if (at < text.size()) outside.push_back(text.substr(at));
  auto any = [&](auto&& holds) { return std::any_of(outside.begin(), outside.end(), holds); };
  // A digit settles the common case without the searches below.
  if (reads_numbers_ &&
      any([](std::string_view p) { return std::any_of(p.begin(), p.end(), is_digit); }))
    return true;
  auto has = [&](std::string_view s) {
    return any([&](std::string_view p) { return p.find(s) != std::string_view::npos; });
  };
  for (const auto& kind : rules_.kinds) {
    bool may = true;  // a kind not listed here is always run
    if (kind == "email") may = has("@");
    if (kind == "url")
      may = has("://") ||
            any([](std::string_view p) { return contains_www(p); });  // any case: Www.shop.de
    // No digit outside the placeholders (one would have returned above).
    if (kind == "iban" || kind == "card" || kind == "phone") may = false;
    if (kind == "ip")
      may = has("::") ||
            any([](std::string_view p) { return std::count(p.begin(), p.end(), ':') >= 7; });
    if (may) return true;
  }
  return std::any_of(rules_.custom.begin(), rules_.custom.end(), [&](const CustomPattern& c) {
    return any([&](std::string_view p) { return c.may_match(p); });
  });
}

namespace {

// Every occurrence of a value the map already holds, outside `spans` and existing placeholders:
// a value found once is removed wherever else it appears as a whole word in the request, even
// where its context hid it from the detector ("priya+1-365-214-1401").
std::vector<PiiSpan> known_values(std::string_view text, const PlaceholderMap& map,
                                  const std::vector<PiiSpan>& spans,
                                  std::vector<std::pair<std::size_t, std::size_t>> taken) {
  for (const auto& s : spans) taken.emplace_back(s.begin, s.end);
  auto free = [&](std::size_t b, std::size_t e) {
    for (const auto& [tb, te] : taken)
      if (tb < e && b < te) return false;
    return true;
  };
  std::vector<PiiSpan> out;
  BytePairFilter pairs(text);  // one pass over the text instead of a search per value
  map.for_each_value([&](const std::string& kind, const std::string& value) {
    if (!pairs.may_contain(value)) return;
    for (std::size_t at = text.find(value); at != std::string_view::npos;
         at = text.find(value, at + 1)) {
      std::size_t end = at + value.size();
      // Whole words only: EMP-123456 is not taken out of EMP-1234567.
      bool starts = !is_word(value.front()) || at == 0 || !is_word(text[at - 1]);
      bool ends = !is_word(value.back()) || end == text.size() || !is_word(text[end]);
      if (!starts || !ends || !free(at, end)) continue;
      out.push_back({at, at + value.size(), kind});
      taken.emplace_back(at, at + value.size());
    }
  });
  return out;
}

// A span and its placeholder (owned by the request's map, whose entries never move).
struct Replacement {
  std::size_t begin, end;
  const std::string* placeholder;
};

std::string replace_spans(std::string_view text, std::vector<Replacement> spans) {
  std::sort(spans.begin(), spans.end(),
            [](const Replacement& a, const Replacement& b) { return a.begin < b.begin; });
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  for (const auto& s : spans) {
    out.append(text.substr(at, s.begin - at));
    out += *s.placeholder;
    at = s.end;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace

std::string Redactor::redact(std::string_view text, PlaceholderMap& map) const {
  if (!enabled()) return std::string(text);
  // Replacing a match changes its neighbours' context (an address followed by a URL reads as
  // one longer domain until the URL is gone), so detection runs again on the result until it
  // finds nothing: the result holds no detectable span, and redacting it again changes nothing.
  // Each round turns raw characters into placeholders, so a few rounds always suffice.
  std::string current(text);
  DetectionView view;
  for (int round = 0; round < 8; ++round) {
    // Detection reads line breaks, tabs and no-break spaces as spaces, and full-width digits and
    // letters as ASCII (DetectionView), as the prompts carry the text ("4455 5308" and "1571
    // 9024" on two lines is one card): a text is redacted alike in a request, a report, the
    // store and a training file. A value is named by what detection read, so
    // "０９０-１２３４-５６７８" and "090-1234-5678" in one request share a placeholder.
    std::string_view seen = view.read(current);
    // Most tickets, and most texts once their matches are replaced, hold nothing any detector
    // could match: a single pass says so and the detectors are not run.
    Ranges placeholders = find_placeholders(seen);
    // Placeholders the text holds as written (those of the first round) are not given to its
    // values (a ticket quoting "<EMAIL_1>" and giving an address had both read <EMAIL_1>).
    if (round == 0)
      for (auto [b, e] : placeholders) map.reserve(seen.substr(b, e - b));
    std::vector<PiiSpan> spans =
        may_detect(seen, placeholders) ? detect(seen, placeholders) : std::vector<PiiSpan>{};
    std::vector<Replacement> replacements;
    auto replace = [&](const PiiSpan& s) {
      std::string_view value = seen.substr(s.begin, s.end - s.begin);
      replacements.push_back(
          {view.to_text(s.begin), view.to_text(s.end), &map.placeholder(s.kind, value)});
    };
    for (const auto& s : spans) replace(s);
    std::vector<PiiSpan> more = known_values(seen, map, spans, std::move(placeholders));
    if (replacements.empty() && more.empty()) break;
    for (const auto& s : more) replace(s);
    current = replace_spans(current, std::move(replacements));
  }
  return current;
}

std::string Redactor::redact(std::string_view text) const {
  PlaceholderMap map;
  return redact(text, map);
}

}  // namespace tunecase
