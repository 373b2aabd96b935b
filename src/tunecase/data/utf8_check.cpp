#include "tunecase/data/utf8_check.h"

#include <utf8proc.h>

namespace tunecase {

std::optional<std::size_t> invalid_utf8_offset(std::string_view bytes) {
  // Most lines are plain ASCII: skip to the first non-ASCII byte before decoding.
  std::size_t pos = 0;
  while (pos < bytes.size() && static_cast<unsigned char>(bytes[pos]) < 0x80) ++pos;
  const auto* base = reinterpret_cast<const utf8proc_uint8_t*>(bytes.data());
  while (pos < bytes.size()) {
    utf8proc_int32_t codepoint;
    utf8proc_ssize_t n =
        utf8proc_iterate(base + pos, static_cast<utf8proc_ssize_t>(bytes.size() - pos), &codepoint);
    if (n <= 0) return pos;
    pos += static_cast<std::size_t>(n);
  }
  return std::nullopt;
}

}  // namespace tunecase
