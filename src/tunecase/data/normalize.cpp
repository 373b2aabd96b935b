#include "tunecase/data/normalize.h"

#include <cstdlib>

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
  std::string out;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(folded.data());
  utf8proc_ssize_t at = 0, size = static_cast<utf8proc_ssize_t>(folded.size());
  while (at < size) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(bytes + at, size - at, &cp);
    if (n <= 0) {  // not UTF-8: kept byte by byte
      out += folded[static_cast<std::size_t>(at++)];
      continue;
    }
    // Punctuation of every kind (dashes, connectors, brackets, quotes, '.', ',', ';', '\\', a
    // middle dot, a bullet), math symbols (a minus sign, a division slash, '+', '|'), spaces,
    // controls and invisible format characters: what separates or decorates a name's words.
    const utf8proc_category_t category = utf8proc_category(cp);
    const bool separator = category == UTF8PROC_CATEGORY_PD || category == UTF8PROC_CATEGORY_PC ||
                           category == UTF8PROC_CATEGORY_PS || category == UTF8PROC_CATEGORY_PE ||
                           category == UTF8PROC_CATEGORY_PI || category == UTF8PROC_CATEGORY_PF ||
                           category == UTF8PROC_CATEGORY_PO || category == UTF8PROC_CATEGORY_SM ||
                           category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
                           category == UTF8PROC_CATEGORY_ZP || category == UTF8PROC_CATEGORY_CC ||
                           category == UTF8PROC_CATEGORY_CF;
    if (!separator) out.append(folded, static_cast<std::size_t>(at), static_cast<std::size_t>(n));
    at += n;
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
