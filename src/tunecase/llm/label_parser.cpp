#include "tunecase/llm/label_parser.h"

#include <algorithm>
#include <array>
#include <optional>

#include <utf8proc.h>
#include <nlohmann/json.hpp>

#include "tunecase/core/json_scan.h"
#include "tunecase/core/suggest.h"
#include "tunecase/core/trim.h"
#include "tunecase/data/normalize.h"
#include "tunecase/search/tokenize.h"

namespace tunecase {
namespace {

constexpr std::size_t kMaxEdits = 2;
constexpr std::size_t kMinPrefix = 3;  // "te" would name too many labels to mean one

// Drops decoration models put around a bare answer: quotes, backticks, bold markers, a final dot.
std::string_view undecorate(std::string_view s) {
  s = trim(s);
  const std::string_view marks = "\"'`*_";
  while (!s.empty() && marks.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && (marks.find(s.back()) != std::string_view::npos || s.back() == '.'))
    s.remove_suffix(1);
  return trim(s);
}

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

// Whether a character outside ASCII is part of a word: a letter, mark or digit of any script,
// or a symbol such as an emoji (a label may be one). Punctuation of any script (“quotes”,
// «guillemets», 。, 【brackets】), spaces, and currency and math signs separate words: counted
// as letters, they had made "“shipping”." a word of its own, and the answer invalid.
bool word_code_point(utf8proc_int32_t cp) {
  return letter_mark_or_digit(cp) || utf8proc_category(cp) == UTF8PROC_CATEGORY_SO;
}

// Case-folded words of a text; spaces and punctuation of any script only separate words.
std::vector<std::string> words_of(std::string_view text) {
  std::string folded;
  if (is_valid_utf8(text)) {
    folded = normalize_text(text);
  } else {
    folded.assign(text);
    for (char& c : folded) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }
  std::vector<std::string> words(1);
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(folded.data());
  for (std::size_t i = 0; i < folded.size();) {
    const auto c = static_cast<unsigned char>(folded[i]);
    std::size_t len = 1;
    bool word = is_word_byte(c);
    if (c >= 0x80) {
      utf8proc_int32_t cp = 0;
      const utf8proc_ssize_t n =
          utf8proc_iterate(bytes + i, static_cast<utf8proc_ssize_t>(folded.size() - i), &cp);
      if (n > 0) {
        len = static_cast<std::size_t>(n);
        word = word_code_point(cp);
      }
    }
    if (word) {
      words.back().append(folded, i, len);
    } else if (!words.back().empty()) {
      words.emplace_back();
    }
    i += len;
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

// The code points of UTF-8 text (a byte that is not UTF-8 stands for itself): misspellings are
// counted in characters, not bytes (a Cyrillic or Chinese letter is two or three bytes, and had
// been allowed two "edits" on a label of two characters).
std::u32string code_points(std::string_view text) {
  std::u32string out;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  for (std::size_t i = 0; i < text.size();) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n =
        utf8proc_iterate(bytes + i, static_cast<utf8proc_ssize_t>(text.size() - i), &cp);
    if (n <= 0) {
      out.push_back(static_cast<unsigned char>(text[i]));
      ++i;
    } else {
      out.push_back(static_cast<char32_t>(cp));
      i += static_cast<std::size_t>(n);
    }
  }
  return out;
}

// A script written without spaces between words (Han, Hiragana, Katakana, Thai, Lao, Myanmar,
// Khmer): a label of it is found inside the answer's run of letters ("这是账单" names "账单").
bool unspaced_script(const std::u32string& key) {
  if (key.empty()) return false;
  for (char32_t cp : key) {
    const bool unspaced = (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
                          (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
                          (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF66 && cp <= 0xFF9F) ||
                          (cp >= 0x20000 && cp <= 0x3134F) || (cp >= 0x0E00 && cp <= 0x0EFF) ||
                          (cp >= 0x1000 && cp <= 0x109F) || (cp >= 0x1780 && cp <= 0x17FF);
    if (!unspaced) return false;
  }
  return true;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += w;
  return out;
}

bool contains_words(const std::vector<std::string>& text, const std::vector<std::string>& part) {
  if (part.empty() || part.size() > text.size()) return false;
  return std::search(text.begin(), text.end(), part.begin(), part.end()) != text.end();
}

// The labels pre-digested once per call: words and the joined key of each.
struct LabelKeys {
  const std::vector<std::string>& labels;
  std::vector<std::vector<std::string>> words;
  std::vector<std::string> keys;

  explicit LabelKeys(const std::vector<std::string>& all) : labels(all) {
    for (const auto& label : all) {
      words.push_back(words_of(label));
      keys.push_back(join(words.back()));
    }
  }
};

std::optional<std::size_t> unique(const std::vector<std::size_t>& matches) {
  if (matches.size() == 1) return matches.front();
  return std::nullopt;
}

std::optional<std::size_t> exact_match(std::string_view text,
                                       const std::vector<std::string>& labels) {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == text) return i;
  }
  return std::nullopt;
}

// Of labels that match alike once folded (kept apart, they differ in case or folding: "straße"
// and "strasse"), the one equal to the answer lower-cased alone; nullopt when not exactly one.
std::optional<std::size_t> lower_case_tie_break(std::string_view text,
                                                const std::vector<std::size_t>& tied,
                                                const LabelKeys& k) {
  const std::string lowered = lower_text(text);
  std::vector<std::size_t> same;
  for (std::size_t i : tied)
    if (lower_text(k.labels[i]) == lowered) same.push_back(i);
  return unique(same);
}

std::optional<std::size_t> normalized_match(std::string_view text, const LabelKeys& k) {
  std::string key = join(words_of(text));
  if (key.empty()) return std::nullopt;
  std::vector<std::size_t> matches;
  for (std::size_t i = 0; i < k.keys.size(); ++i) {
    if (k.keys[i] == key) matches.push_back(i);
  }
  if (matches.size() > 1) return lower_case_tie_break(text, matches, k);
  return unique(matches);
}

// "Label: billing" -> "billing". Returns nullopt when no known prefix is present.
std::optional<std::string_view> strip_prefix(std::string_view text) {
  static constexpr std::array<std::string_view, 7> kPrefixes = {
      "label", "category", "class", "classification", "intent", "answer", "final answer"};
  std::string_view body = undecorate(text);
  for (std::string_view prefix : kPrefixes) {
    if (body.size() <= prefix.size()) continue;
    bool same = std::equal(prefix.begin(), prefix.end(), body.begin(), [](char a, char b) {
      return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
    });
    if (!same) continue;
    std::string_view rest = trim(body.substr(prefix.size()));
    while (!rest.empty() && (rest.front() == '*' || rest.front() == '"')) rest.remove_prefix(1);
    if (!rest.empty() && (rest.front() == ':' || rest.front() == '-' || rest.front() == '=')) {
      return undecorate(rest.substr(1));
    }
  }
  return std::nullopt;
}

// Whether `text` holds `label` byte for byte, not inside a longer word.
// Where `text` holds `label` byte for byte, not inside a longer word: [start, end) spans.
std::vector<std::pair<std::size_t, std::size_t>> verbatim_spans(std::string_view text,
                                                                std::string_view label) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  if (label.empty()) return spans;
  auto word_byte = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return is_word_byte(u) || (u >= 'A' && u <= 'Z');
  };
  for (std::size_t at = text.find(label); at != std::string_view::npos;
       at = text.find(label, at + 1)) {
    const bool open = at == 0 || !word_byte(text[at - 1]) || !word_byte(label.front());
    const std::size_t end = at + label.size();
    const bool close = end == text.size() || !word_byte(text[end]) || !word_byte(label.back());
    if (open && close) spans.emplace_back(at, end);
  }
  return spans;
}

// Of labels the answer writes byte for byte, those written somewhere no longer one of them
// covers: "C" inside "C++" yields to "C++" ("The language is C++." names C++), as a shorter
// label's words yield to a longer one's; "C or C++" names both.
std::vector<std::size_t> outermost(std::string_view text, const std::vector<std::size_t>& found,
                                   const std::vector<std::string>& labels) {
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> spans;
  for (std::size_t i : found) spans.push_back(verbatim_spans(text, labels[i]));
  std::vector<std::size_t> out;
  for (std::size_t a = 0; a < found.size(); ++a) {
    bool alone = false;
    for (const auto& [from, to] : spans[a]) {
      bool covered = false;
      for (std::size_t b = 0; b < found.size() && !covered; ++b) {
        if (b == a || labels[found[b]].size() <= labels[found[a]].size()) continue;
        for (const auto& [f, t] : spans[b]) covered = covered || (f <= from && to <= t);
      }
      alone = alone || !covered;
    }
    if (alone) out.push_back(found[a]);
  }
  return out;
}

bool names_verbatim(std::string_view text, std::string_view label) {
  return !verbatim_spans(text, label).empty();
}

// Whether the answer's words hold label i somewhere no longer named label covers: every
// occurrence of "account" in "account access" yields to that label; one elsewhere does not.
bool stands_alone(const std::vector<std::string>& words, std::size_t i,
                  const std::vector<std::size_t>& named, const LabelKeys& k) {
  const std::vector<std::string>& part = k.words[i];
  std::vector<bool> covered(words.size(), false);
  for (std::size_t j : named) {
    const std::vector<std::string>& longer = k.words[j];
    if (j == i || longer.size() <= part.size() || !contains_words(longer, part)) continue;
    for (std::size_t at = 0; at + longer.size() <= words.size(); ++at)
      if (std::equal(longer.begin(), longer.end(), words.begin() + static_cast<long>(at)))
        std::fill(covered.begin() + static_cast<long>(at),
                  covered.begin() + static_cast<long>(at + longer.size()), true);
  }
  for (std::size_t at = 0; at + part.size() <= words.size(); ++at) {
    if (!std::equal(part.begin(), part.end(), words.begin() + static_cast<long>(at))) continue;
    if (!std::all_of(covered.begin() + static_cast<long>(at),
                     covered.begin() + static_cast<long>(at + part.size()),
                     [](bool c) { return c; }))
      return true;
  }
  return false;
}

// Labels whose words appear in the text; a label inside a longer matching label (e.g. "account"
// in "account access") yields to it, and of labels that differ only in case or folding, the one
// written byte for byte wins. Else a text that starts exactly one label's key.
std::optional<std::size_t> substring_match(std::string_view text, const LabelKeys& k) {
  std::vector<std::string> words = words_of(text);
  std::vector<std::size_t> named;
  // Labels of a script without spaces are read inside a run of letters, one word at a time (a
  // run's end is punctuation or a space: "购物，流程" does not name "物流").
  std::vector<std::size_t> inside_run;
  for (std::size_t i = 0; i < k.labels.size(); ++i) {
    if (contains_words(words, k.words[i])) {
      named.push_back(i);
    } else if (k.words[i].size() == 1 && unspaced_script(code_points(k.keys[i]))) {
      const bool found = std::any_of(words.begin(), words.end(), [&](const std::string& w) {
        return w.find(k.keys[i]) != std::string::npos;
      });
      if (found) {
        named.push_back(i);
        inside_run.push_back(i);
      }
    }
  }
  // One such label inside a longer one wherever the answer writes it ("退款" in "退款失败")
  // yields to it, as a shorter label's words yield to a longer one's.
  auto inside_longer_run = [&](std::size_t i) {
    const std::string& key = k.keys[i];
    for (const std::string& w : words)
      for (std::size_t at = w.find(key); at != std::string::npos; at = w.find(key, at + 1)) {
        bool covered = false;
        for (std::size_t j : inside_run) {
          const std::string& longer = k.keys[j];
          if (j == i || longer.size() <= key.size()) continue;
          for (std::size_t from = w.find(longer); from != std::string::npos && !covered;
               from = w.find(longer, from + 1))
            covered = from <= at && at + key.size() <= from + longer.size();
        }
        if (!covered) return false;
      }
    return true;
  };
  std::vector<std::size_t> maximal;
  for (std::size_t i : named) {
    // It yields only when the answer writes it nowhere but inside the longer labels it names:
    // "billing, not a billing dispute" names both, and is invalid, not "billing dispute".
    const bool in_run = std::find(inside_run.begin(), inside_run.end(), i) != inside_run.end();
    if (in_run ? inside_longer_run(i) : !stands_alone(words, i, named, k)) continue;
    maximal.push_back(i);
  }
  // Of labels that differ only in case or folding, the one written byte for byte wins below;
  // labels with other keys ("billing" and "billing dispute" both standing alone) are two.
  const bool same_key = std::all_of(maximal.begin(), maximal.end(), [&](std::size_t i) {
    return k.keys[i] == k.keys[maximal.front()];
  });
  if (maximal.size() > 1 && !same_key) return std::nullopt;
  if (maximal.size() > 1) {
    // Labels that differ only in case, width or folding ("YES" and "yes", "Café" and "café") all
    // match a folded answer; the one the answer writes byte for byte, as words of its own, is the
    // one it names; else the one it writes once both are lower-cased alone ("Strasse" names
    // "strasse", not "straße").
    std::vector<std::size_t> verbatim, lowered;
    const std::string lower = lower_text(text);
    for (std::size_t i : maximal) {
      if (names_verbatim(text, k.labels[i])) verbatim.push_back(i);
      if (names_verbatim(lower, lower_text(k.labels[i]))) lowered.push_back(i);
    }
    verbatim = outermost(text, verbatim, k.labels);
    if (verbatim.size() == 1) return verbatim.front();
    // The same once both are lower-cased ("the language is c++." names "C++").
    std::vector<std::string> lower_labels(k.labels.size());
    for (std::size_t i : lowered) lower_labels[i] = lower_text(k.labels[i]);
    lowered = outermost(lower, lowered, lower_labels);
    if (verbatim.empty() && lowered.size() == 1) return lowered.front();
  }
  if (maximal.size() == 1) {
    // A label inside a longer one that the answer nearly writes around it ("bug reports" beside
    // "bug" and "bug report"; "the category is delivery delay." beside "delivery delays"): the
    // answer names the longer one, misspelt, not the shorter one it happens to contain. The
    // words where the shorter label stands, widened to the longer label's length, must be
    // within an edit of it (kMaxEdits when they are the whole answer).
    const std::vector<std::string>& shorter = k.words[maximal.front()];
    std::vector<std::size_t> near;
    for (std::size_t j = 0; j < k.labels.size(); ++j) {
      const std::vector<std::string>& longer = k.words[j];
      if (j == maximal.front() || longer.size() <= shorter.size() ||
          !contains_words(longer, shorter))
        continue;
      const auto in_longer = static_cast<std::size_t>(
          std::search(longer.begin(), longer.end(), shorter.begin(), shorter.end()) -
          longer.begin());
      bool close = false;
      for (std::size_t at = 0; at + shorter.size() <= words.size() && !close; ++at) {
        if (!std::equal(shorter.begin(), shorter.end(), words.begin() + static_cast<long>(at)))
          continue;
        if (at < in_longer || at - in_longer + longer.size() > words.size()) continue;
        const auto from = words.begin() + static_cast<long>(at - in_longer);
        const std::string window =
            join(std::vector<std::string>(from, from + static_cast<long>(longer.size())));
        const std::size_t gap = window.size() > k.keys[j].size() ? window.size() - k.keys[j].size()
                                                                 : k.keys[j].size() - window.size();
        // One edit inside a sentence (a plural, a dropped letter): two there had read "a bug,
        // reported twice" as "bug report".
        const std::size_t edits = longer.size() == words.size() ? kMaxEdits : 1;
        close = gap <= edits && edit_distance(window, k.keys[j]) <= edits;
      }
      if (close) near.push_back(j);
    }
    if (near.size() == 1) return near.front();
  }
  if (!maximal.empty()) return unique(maximal);
  std::string key = join(words);
  if (code_points(key).size() < kMinPrefix) return std::nullopt;  // characters, not bytes
  std::vector<std::size_t> prefixed;
  for (std::size_t i = 0; i < k.keys.size(); ++i) {
    if (k.keys[i].size() > key.size() && k.keys[i].compare(0, key.size(), key) == 0)
      prefixed.push_back(i);
  }
  return unique(prefixed);
}

// A misspelt label ("biling", "accuont"): the same number of words as the label, and at most
// kMaxEdits, one on a label or answer of five letters, none below (but a plural: "bugs"). A
// word added or dropped is not a slip ("refund" is not "no refund"), nor is a letter on a
// short word ("one" is not "none").
std::optional<std::size_t> edit_match(std::string_view text, const LabelKeys& k) {
  std::vector<std::string> words = words_of(text);
  std::string key = join(words);
  if (key.empty()) return std::nullopt;
  std::vector<std::size_t> close;
  const std::u32string answer = code_points(key);
  for (std::size_t i = 0; i < k.keys.size(); ++i) {
    if (k.words[i].size() != words.size()) continue;
    const std::u32string label = code_points(k.keys[i]);
    const std::size_t shorter = std::min(answer.size(), label.size());
    const std::size_t allowed = shorter < 5 ? 0 : shorter < 6 ? 1 : kMaxEdits;
    std::size_t gap =
        answer.size() > label.size() ? answer.size() - label.size() : label.size() - answer.size();
    const bool plural = key == k.keys[i] + "s" || key == k.keys[i] + "es";
    if (plural ||
        (allowed > 0 && gap <= allowed &&
         edit_distance(std::u32string_view(answer), std::u32string_view(label)) <= allowed))
      close.push_back(i);
  }
  return unique(close);
}

std::string_view first_line(std::string_view text) {
  text = trim(text);
  return trim(text.substr(0, text.find('\n')));
}

// The answer's lines that hold something, trimmed.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    if (!line.empty()) lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

ParsedLabel resolve_text(std::string_view text, const std::vector<std::string>& labels);

// An answer over several lines: a line with an answer prefix ("Answer: billing" after a
// reasoning line that names another label) is the answer, and two prefixed lines naming two
// labels are two answers (invalid). Else the whole text is read as one (resolve_text), and a
// first line and a last line that are each a label, two different ones ("shipping\nbilling"),
// are two answers too. A reasoning line first had given its label ("Reasoning: mentions
// shipping\nAnswer: billing" was read as shipping).
// Whether a line is a list item ("- billing", "* billing", "1. billing", "2) billing").
bool list_item(std::string_view line) {
  if (line.starts_with("- ") || line.starts_with("* ") || line.starts_with("• ")) return true;
  std::size_t i = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
  return i > 0 && i + 1 < line.size() && (line[i] == '.' || line[i] == ')') && line[i + 1] == ' ';
}

// Whether a line says it concludes ("So the answer is billing", "Therefore: billing", "Final:
// billing"): after reasoning lines that name other labels, it is the answer.
bool concludes(std::string_view line) {
  std::string lower(line);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (std::string_view marker : {"answer", "therefore", "thus", "hence", "so ", "so,", "final",
                                  "conclusion", "in summary", "overall", "verdict"})
    if (lower.find(marker) != std::string::npos) return true;
  return false;
}

// Whether the line names any label by its words.
bool mentions_a_label(std::string_view line, const LabelKeys& k) {
  const std::vector<std::string> words = words_of(line);
  for (const auto& label_words : k.words)
    if (contains_words(words, label_words)) return true;
  return false;
}

// An answer over several lines, in this order:
// - a first line that is a label alone is the answer ("billing\nCategory: finance, not
//   shipping"), unless the last line is another label alone ("shipping\nbilling": two);
// - list items naming two labels ("1. billing\n2. shipping") are two answers;
// - a line with an answer prefix ("Answer: billing", or "Label:" alone and the label on the
//   next line) is the answer; two such naming two labels are two;
// - a last line that is a label alone, after reasoning lines;
// - the last line naming a label, when it concludes ("So the answer is billing" after "the
//   ticket mentions shipping"): a reasoning line first had given its label;
// - else the whole text is read as one (resolve_text).
ParsedLabel resolve(std::string_view text, const std::vector<std::string>& labels) {
  if (trim(text).find('\n') == std::string_view::npos) return resolve_text(text, labels);
  const std::vector<std::string_view> lines = lines_of(text);
  if (lines.size() < 2) return resolve_text(text, labels);
  auto alone = [&](std::string_view line) -> std::optional<ParsedLabel> {
    ParsedLabel p = resolve_text(line, labels);
    if (p.valid() && (p.method == "exact" || p.method == "normalized")) return p;
    return std::nullopt;
  };
  const std::optional<ParsedLabel> first = alone(undecorate(lines.front()));
  const std::optional<ParsedLabel> last = alone(undecorate(lines.back()));
  if (first && last && first->label != last->label) return {"", "invalid"};
  if (first) return *first;
  std::optional<ParsedLabel> listed;
  for (std::string_view line : lines) {
    if (!list_item(line)) continue;
    ParsedLabel p = resolve_text(line, labels);
    if (!p.valid()) continue;
    if (listed && listed->label != p.label) return {"", "invalid"};
    listed = p;
  }
  std::optional<ParsedLabel> prefixed;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    // "Label:" alone on its line, the label on the next.
    const std::string probe = std::string(line) + " x";
    const std::optional<std::string_view> bare = strip_prefix(probe);
    const bool label_next = bare && *bare == "x" && i + 1 < lines.size();
    if (!label_next && !strip_prefix(line)) continue;
    ParsedLabel p = resolve_text(label_next ? lines[i + 1] : line, labels);
    if (!p.valid()) continue;
    if (prefixed && prefixed->label != p.label) return {"", "invalid"};
    prefixed = p;
  }
  if (prefixed) return *prefixed;
  if (last) return *last;  // reasoning, then the label alone on the last line
  LabelKeys k(labels);
  for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
    if (!mentions_a_label(*line, k)) continue;
    if (concludes(*line)) return resolve_text(*line, labels);
    break;
  }
  if (listed) return *listed;
  return resolve_text(text, labels);
}

// The steps after JSON, strictest first; each step tries the whole text, then its first line.
// The labels' folded words are built only when the answer is not one of them exactly, the
// usual answer of a model told to name one label.
ParsedLabel resolve_text(std::string_view text, const std::vector<std::string>& labels) {
  std::vector<std::string_view> candidates = {undecorate(text)};
  // An answer written as the list writes quoted labels ("\"multi\\nline\"") reads decoded first.
  std::optional<LeadingString> quoted = leading_json_string(text);
  if (quoted && !quoted->value.empty()) candidates.insert(candidates.begin(), quoted->value);
  std::string_view line = undecorate(first_line(text));
  if (line != candidates.front()) candidates.push_back(line);
  // The answer as written, before its marks are taken off, is read first: a label that itself
  // starts or ends with one ("**x**", "_urgent_") had lost them and matched nothing, or another
  // label, and the answer naming it exactly was counted invalid.
  std::string_view raw = trim(text);
  while (!raw.empty() && raw.back() == '.') raw = trim(raw.substr(0, raw.size() - 1));
  for (std::string_view as_written : {trim(text), raw})
    if (!as_written.empty() &&
        std::find(candidates.begin(), candidates.end(), as_written) == candidates.end())
      candidates.insert(candidates.begin(), as_written);
  auto found = [&](std::size_t i, const char* method) { return ParsedLabel{labels[i], method}; };
  for (auto c : candidates) {
    if (auto i = exact_match(c, labels)) return found(*i, "exact");
  }
  LabelKeys k(labels);
  for (auto c : candidates) {
    if (auto i = normalized_match(c, k)) return found(*i, "normalized");
  }
  // The looser steps read an answer without its prefix first: the prompt ends in "Label:", and
  // a model that echoes it ("Label: billing") names a label as much as one that does not.
  std::vector<std::string_view> loose;
  for (auto c : candidates) {
    auto stripped = strip_prefix(c);
    if (!stripped) continue;
    if (auto i = exact_match(*stripped, labels)) return found(*i, "stripped");
    if (auto i = normalized_match(*stripped, k)) return found(*i, "stripped");
    loose.push_back(*stripped);
  }
  loose.insert(loose.end(), candidates.begin(), candidates.end());
  for (auto c : loose) {
    if (auto i = substring_match(c, k)) return found(*i, "substring");
  }
  for (auto c : loose) {
    if (auto i = edit_match(c, k)) return found(*i, "edit_distance");
  }
  return {"", "invalid"};
}

// End of the balanced {...} starting at `open`, skipping braces inside JSON strings.
std::optional<std::size_t> matching_brace(std::string_view s, std::size_t open) {
  int depth = 0;
  return find_bracket(s, open, [&depth](std::size_t, char c) {
    if (c == '{') ++depth;
    return c == '}' && --depth == 0;
  });
}

// The "label" string of the first JSON object in the answer that has one.
// Every "label" string the answer's JSON objects give (each top-level object once, a key given
// twice in one object twice): more than one distinct value names two labels, as prose naming
// two does ({"label": "billing", "label": "shipping"} had been read as the last, and two
// objects as the first).
std::vector<std::string> json_labels(std::string_view answer) {
  std::vector<std::string> found;
  for (std::size_t open = answer.find('{'); open != std::string_view::npos;) {
    auto close = matching_brace(answer, open);
    if (!close) {
      open = answer.find('{', open + 1);
      continue;
    }
    std::vector<std::string> values;
    bool label_next = false;
    auto doc = nlohmann::json::parse(
        answer.substr(open, *close - open + 1),
        [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          if (depth == 1 && event == nlohmann::json::parse_event_t::key) {
            label_next = parsed == "label";
          } else if (depth == 1 && event == nlohmann::json::parse_event_t::value && label_next) {
            if (parsed.is_string()) values.push_back(parsed.get<std::string>());
            label_next = false;
          }
          return true;
        },
        false);
    if (doc.is_object() && doc.contains("label") && doc["label"].is_string()) {
      if (values.empty()) values.push_back(doc["label"].get<std::string>());
      found.insert(found.end(), values.begin(), values.end());
      open = answer.find('{', *close + 1);
    } else {
      open = answer.find('{', open + 1);
    }
  }
  return found;
}

// The answer after a reasoning model's reasoning (DeepSeek-R1, Qwen3 and others served by Ollama,
// llama.cpp or vLLM write it into the content): a draft label inside it is not the answer.
// The text after the last closing tag of <think>, <thinking> or <reasoning>, in any case (a
// chat template that supplies the opening tag leaves only the closing one); an opening tag
// never closed is all reasoning, cut off before any answer: "". A byte-order mark first is
// skipped.
std::string_view after_reasoning(std::string_view answer) {
  static constexpr std::array<std::string_view, 3> kTags = {"think", "thinking", "reasoning"};
  if (answer.find('<') == std::string_view::npos) return answer;  // no tag: the usual answer
  std::string lower(answer);  // ASCII only: the tags are, and the offsets must stay the answer's
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  std::size_t after = std::string::npos;
  for (std::string_view tag : kTags) {
    const std::string close = "</" + std::string(tag) + ">";
    const std::size_t at = lower.rfind(close);
    if (at != std::string::npos && (after == std::string::npos || at + close.size() > after))
      after = at + close.size();
  }
  if (after != std::string::npos) {
    if (!trim(answer.substr(after)).empty()) return answer.substr(after);
    // Nothing after the reasoning: an answer written before it ("billing <think>…</think>") is
    // the answer; reasoning with only its closing tag leaves nothing.
    std::size_t open = std::string::npos;
    for (std::string_view tag : kTags)
      open = std::min(open, lower.find("<" + std::string(tag) + ">"));
    if (open == std::string::npos) return {};
    return answer.substr(0, open);
  }
  std::string_view start = trim(lower);
  if (start.starts_with("\xEF\xBB\xBF")) start = trim(start.substr(3));
  for (std::string_view tag : kTags)
    if (start.starts_with("<" + std::string(tag) + ">")) return {};
  return answer;
}

}  // namespace

std::optional<LeadingString> leading_json_string(std::string_view text) {
  std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || text[start] != '"') return std::nullopt;
  for (std::size_t i = start + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
      continue;
    }
    if (text[i] != '"') continue;
    auto doc = nlohmann::json::parse(text.substr(start, i + 1 - start), nullptr, false);
    if (!doc.is_string()) return std::nullopt;
    return LeadingString{doc.get<std::string>(), i + 1};
  }
  return std::nullopt;
}

ParsedLabel parse_label(std::string_view answer, const std::vector<std::string>& labels) {
  if (labels.empty()) return {"", "invalid"};
  answer = after_reasoning(answer);
  const std::vector<std::string> given = json_labels(answer);
  if (!given.empty()) {
    // Two values are two labels only when they name two ("billing" and "Billing " name one).
    for (const std::string& other : given)
      if (other != given.front() &&
          resolve(other, labels).label != resolve(given.front(), labels).label)
        return {"", "invalid"};
    const std::optional<std::string> value = given.front();
    ParsedLabel parsed = resolve(*value, labels);
    if (!parsed.valid()) return parsed;
    parsed.method = parsed.method == "exact" ? "json" : "json_" + parsed.method;
    return parsed;
  }
  return resolve(answer, labels);
}

}  // namespace tunecase
