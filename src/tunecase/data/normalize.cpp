#include "tunecase/data/normalize.h"

#include <cstdlib>
#include <string>
#include <vector>

#include <utf8proc.h>

namespace tunecase {
namespace {

bool is_ascii(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

// Collapses whitespace runs to one space and trims; lower-cases A-Z when asked.
std::string collapse_whitespace(std::string_view text, bool lower_ascii) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    if (lower_ascii && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string normalize_text(std::string_view text) {
  // ASCII is already in NFKC and case-folds to lower case: skipping utf8proc makes
  // de-duplication and leakage checks of 100k rows an order of magnitude faster.
  if (is_ascii(text)) return collapse_whitespace(text, true);

  utf8proc_uint8_t* mapped = nullptr;
  // UTF8PROC_IGNORE drops default-ignorable characters (zero-width spaces and joiners, the
  // byte-order mark, soft hyphens): nobody sees them, and a label behind one had stayed a
  // label of its own, never grouped with its visible spelling.
  auto options = static_cast<utf8proc_option_t>(
      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                    static_cast<utf8proc_ssize_t>(text.size()), &mapped, options);
  std::string folded;
  if (n >= 0) {
    folded.assign(reinterpret_cast<char*>(mapped), static_cast<size_t>(n));
  } else {
    folded.assign(text);  // invalid UTF-8: compare the bytes as they are
  }
  std::free(mapped);
  return collapse_whitespace(folded, false);
}

std::string label_key(std::string_view label) {
  const std::string folded = normalize_text(label);
  // Code points with their bytes; a separator is what only joins a name's words: a dash, a
  // connector (underscore), a space, '.', '/', '\\', ':', ',', ';', '|', '+', a middle dot, a
  // bullet, a minus sign, a division slash; controls and invisible format characters anywhere.
  struct Piece {
    std::string bytes;
    bool separator = false, invisible = false, alnum = false;
  };
  std::vector<Piece> pieces;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(folded.data());
  utf8proc_ssize_t at = 0, size = static_cast<utf8proc_ssize_t>(folded.size());
  while (at < size) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(bytes + at, size - at, &cp);
    if (n <= 0) n = 1, cp = -1;  // not UTF-8: kept byte by byte
    Piece p{folded.substr(static_cast<std::size_t>(at), static_cast<std::size_t>(n))};
    if (cp >= 0) {
      const utf8proc_category_t c = utf8proc_category(cp);
      p.invisible = c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF;
      p.separator = c == UTF8PROC_CATEGORY_PD || c == UTF8PROC_CATEGORY_PC ||
                    c == UTF8PROC_CATEGORY_ZS || cp == '.' || cp == '/' || cp == '\\' ||
                    cp == ':' || cp == ',' || cp == ';' || cp == '|' || cp == '+' || cp == 0x00B7 ||
                    cp == 0x2022 || cp == 0x2027 || cp == 0x2212 || cp == 0x2215 || cp == 0x2044;
      p.alnum = c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL ||
                c == UTF8PROC_CATEGORY_LT || c == UTF8PROC_CATEGORY_LM ||
                c == UTF8PROC_CATEGORY_LO || c == UTF8PROC_CATEGORY_ND;
    }
    pieces.push_back(std::move(p));
    at += n;
  }
  // A run of separators goes only between two letters or digits: "bug - report" is "bugreport",
  // while "C++" keeps its pluses and is not "C".
  std::string out;
  for (std::size_t i = 0; i < pieces.size();) {
    if (pieces[i].invisible) {
      ++i;
      continue;
    }
    if (!pieces[i].separator) {
      out += pieces[i++].bytes;
      continue;
    }
    std::size_t end = i;
    std::string run;
    while (end < pieces.size() && (pieces[end].separator || pieces[end].invisible)) {
      if (!pieces[end].invisible) run += pieces[end].bytes;
      ++end;
    }
    std::size_t before = i;
    while (before > 0 && pieces[before - 1].invisible) --before;
    const bool between =
        before > 0 && pieces[before - 1].alnum && end < pieces.size() && pieces[end].alnum;
    if (!between) out += run;
    i = end;
  }
  return out;
}

std::string nfc_text(std::string_view text) {
  if (is_ascii(text)) return std::string(text);
  utf8proc_uint8_t* mapped = nullptr;
  auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                    static_cast<utf8proc_ssize_t>(text.size()), &mapped, options);
  std::string out = n >= 0 ? std::string(reinterpret_cast<char*>(mapped), static_cast<size_t>(n))
                           : std::string(text);
  std::free(mapped);
  return out;
}

std::size_t grapheme_cut(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  std::size_t at = 0, last_break = 0;
  utf8proc_int32_t previous = -1, state = 0;
  while (at < text.size()) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n =
        utf8proc_iterate(p + at, static_cast<utf8proc_ssize_t>(text.size() - at), &cp);
    if (n <= 0) {  // not UTF-8: any byte boundary will do
      if (at <= max_bytes) last_break = at;
      previous = -1;
      ++at;
      continue;
    }
    if (previous < 0 || utf8proc_grapheme_break_stateful(previous, cp, &state)) {
      if (at > max_bytes) break;
      last_break = at;
    }
    previous = cp;
    at += static_cast<std::size_t>(n);
  }
  if (at <= max_bytes) last_break = at;
  return last_break;
}

std::string lower_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n < 0) {  // not UTF-8: the byte as it is
      out.push_back(static_cast<char>(*p));
      ++p;
      --left;
      continue;
    }
    utf8proc_uint8_t encoded[4];
    utf8proc_ssize_t m = utf8proc_encode_char(utf8proc_tolower(cp), encoded);
    out.append(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(m));
    p += n;
    left -= n;
  }
  return out;
}

bool is_valid_utf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(bytes.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(bytes.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n < 0) return false;
    p += n;
    left -= n;
  }
  return true;
}

}  // namespace tunecase
