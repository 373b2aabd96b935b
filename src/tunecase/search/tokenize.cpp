#include "tunecase/search/tokenize.h"

#include <utf8proc.h>

#include "tunecase/data/normalize.h"

namespace tunecase {
namespace {
bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}
enum class CharKind { separator, word, unspaced, katakana, symbol };

// What a character outside ASCII is to word_tokens (and, outside the scripts without spaces, to
// segmented_terms): part of a word (a letter, mark or digit of any script), a symbol (an emoji: a
// run of them is a token of its own), or a separator (spaces, punctuation of any script, math and
// currency signs).
CharKind word_kind(utf8proc_int32_t cp) {
  if (letter_mark_or_digit(cp)) return CharKind::word;
  return utf8proc_category(cp) == UTF8PROC_CATEGORY_SO ? CharKind::symbol : CharKind::separator;
}

CharKind kind_of(utf8proc_int32_t cp) {
  if (cp < 0x80) {
    auto c = static_cast<unsigned char>(cp);
    return is_word_byte(c) ? CharKind::word : CharKind::separator;
  }
  // Katakana (with the prolonged sound mark), its phonetic extensions and half-width forms.
  if ((cp >= 0x30A0 && cp <= 0x30FF && cp != 0x30FB) || (cp >= 0x31F0 && cp <= 0x31FF) ||
      (cp >= 0xFF66 && cp <= 0xFF9F))
    return CharKind::katakana;
  if ((cp >= 0x3040 && cp <= 0x309F) ||    // Hiragana
      (cp >= 0x3400 && cp <= 0x4DBF) ||    // CJK extension A
      (cp >= 0x4E00 && cp <= 0x9FFF) ||    // CJK unified ideographs
      (cp >= 0xF900 && cp <= 0xFAFF) ||    // CJK compatibility ideographs
      (cp >= 0x20000 && cp <= 0x3134F) ||  // CJK extensions B-H
      cp == 0x3005 ||                      // the iteration mark 々
      (cp >= 0x0E00 && cp <= 0x0EFF) ||    // Thai, Lao
      (cp >= 0x1000 && cp <= 0x109F) ||    // Myanmar
      (cp >= 0x1780 && cp <= 0x17FF))      // Khmer
  {
    const auto category = utf8proc_category(cp);  // letters, marks and digits; not punctuation
    return category >= UTF8PROC_CATEGORY_LU && category <= UTF8PROC_CATEGORY_NO
               ? CharKind::unspaced
               : CharKind::separator;
  }
  return word_kind(cp);
}

// The overlapping character pairs of a run of an unspaced script (its characters' bytes).
void add_pieces(const std::vector<std::string>& run, std::vector<Term>& out) {
  if (run.size() == 1) out.push_back({run.front(), true});
  for (std::size_t i = 0; i + 1 < run.size(); ++i) out.push_back({run[i] + run[i + 1], true});
}

}  // namespace

bool letter_mark_or_digit(int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

std::vector<Term> segmented_terms(std::string_view text) {
  const std::string folded = normalize_text(text);
  std::vector<Term> out;
  std::string word;
  std::vector<std::string> run;  // characters of an unspaced script
  CharKind open = CharKind::separator;
  auto close = [&] {
    if (open == CharKind::unspaced && !run.empty()) add_pieces(run, out);
    if ((open == CharKind::word || open == CharKind::katakana) && !word.empty())
      out.push_back({word, false});
    if (open == CharKind::symbol && !word.empty()) out.push_back({word, false, true});
    word.clear();
    run.clear();
    open = CharKind::separator;
  };
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(folded.data());
  auto left = static_cast<utf8proc_ssize_t>(folded.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {  // not UTF-8 (the readers refuse it): a separator
      close();
      ++p;
      --left;
      continue;
    }
    std::string ch(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
    p += n;
    left -= n;
    CharKind kind = kind_of(cp);
    // An apostrophe (or the typographic one) inside a word stays in it ("don't"), as in
    // word_tokens.
    if ((cp == '\'' || cp == 0x2019) && open == CharKind::word && left > 0 &&
        is_word_byte(static_cast<unsigned char>(*p))) {
      word += ch;
      continue;
    }
    // A combining mark continues whatever run it follows.
    const auto category = utf8proc_category(cp);
    if (open != CharKind::separator &&
        (category == UTF8PROC_CATEGORY_MN || category == UTF8PROC_CATEGORY_MC)) {
      if (open == CharKind::unspaced && !run.empty())
        run.back() += ch;
      else
        word += ch;
      continue;
    }
    if (kind != open) close();
    switch (kind) {
      case CharKind::separator:
        break;
      case CharKind::unspaced:
        run.push_back(std::move(ch));
        open = kind;
        break;
      case CharKind::word:
      case CharKind::katakana:
      case CharKind::symbol:
        word += ch;
        open = kind;
        break;
    }
  }
  close();
  return out;
}

std::vector<std::string> word_tokens(std::string_view text) {
  std::string folded = normalize_text(text);
  std::vector<std::string> tokens;
  std::string current;
  std::vector<std::string> run;  // characters of a script without spaces
  // What `current` holds: a word, a Katakana word or a run of symbols; or `run` its characters.
  CharKind open = CharKind::separator;
  auto close = [&] {
    if (open == CharKind::unspaced) {
      // Overlapping character pairs, as segmented_terms gives them (version 2 had kept a whole
      // Japanese or Chinese clause as one word, seen once and never again).
      if (run.size() == 1) tokens.push_back(std::move(run.front()));
      for (std::size_t k = 0; k + 1 < run.size(); ++k) tokens.push_back(run[k] + run[k + 1]);
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
    }
    current.clear();
    run.clear();
    open = CharKind::separator;
  };
  // Whether a word character starts at byte `i` (an apostrophe stays in a word only before one).
  auto word_at = [&](std::size_t i) {
    if (i >= folded.size()) return false;
    auto c = static_cast<unsigned char>(folded[i]);
    if (c < 0x80) return is_word_byte(c);
    utf8proc_int32_t cp = 0;
    return utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(folded.data() + i),
                            static_cast<utf8proc_ssize_t>(folded.size() - i), &cp) > 0 &&
           word_kind(cp) == CharKind::word;
  };
  for (std::size_t i = 0; i < folded.size();) {
    auto c = static_cast<unsigned char>(folded[i]);
    if (c < 0x80) {  // ASCII, the common case, without decoding
      if (is_word_byte(c)) {
        if (open != CharKind::word) close();
        current.push_back(static_cast<char>(c));
        open = CharKind::word;
      } else if (c == '\'' && open == CharKind::word && word_at(i + 1)) {
        current.push_back('\'');  // "don't"
      } else {
        close();
      }
      ++i;
      continue;
    }
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n =
        utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(folded.data() + i),
                         static_cast<utf8proc_ssize_t>(folded.size() - i), &cp);
    if (n <= 0) {  // not UTF-8 (the readers refuse it): a separator
      close();
      ++i;
      continue;
    }
    const auto size = static_cast<std::size_t>(n);
    // The typographic apostrophe inside a word is the ASCII one: "don’t" is "don't".
    if (cp == 0x2019 && open == CharKind::word && word_at(i + size)) {
      current.push_back('\'');
      i += size;
      continue;
    }
    // A combining mark continues whatever run it follows (a Thai vowel sign its consonant).
    const auto category = utf8proc_category(cp);
    if (open != CharKind::separator &&
        (category == UTF8PROC_CATEGORY_MN || category == UTF8PROC_CATEGORY_MC)) {
      if (open == CharKind::unspaced && !run.empty())
        run.back().append(folded, i, size);
      else
        current.append(folded, i, size);
      i += size;
      continue;
    }
    CharKind kind = kind_of(cp);
    if (kind == CharKind::separator) {
      close();
    } else if (kind == CharKind::unspaced) {
      if (open != CharKind::unspaced) close();
      run.emplace_back(folded, i, size);
      open = kind;
    } else {
      if (kind != open) close();
      current.append(folded, i, size);
      open = kind;
    }
    i += size;
  }
  close();
  return tokens;
}

}  // namespace tunecase
