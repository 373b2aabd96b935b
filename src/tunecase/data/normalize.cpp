#include "tunecase/data/normalize.h"

#include <cstdlib>

#include <utf8proc.h>

namespace tunecase {

std::string normalize_text(std::string_view text) {
  utf8proc_uint8_t* mapped = nullptr;
  auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                                UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                    static_cast<utf8proc_ssize_t>(text.size()), &mapped, options);
  std::string folded;
  if (n >= 0) {
    folded.assign(reinterpret_cast<char*>(mapped), static_cast<size_t>(n));
  } else {
    folded.assign(text);  // invalid UTF-8: compare the bytes as they are
  }
  std::free(mapped);

  std::string out;
  out.reserve(folded.size());
  bool pending_space = false;
  for (char c : folded) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    if (space) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
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
