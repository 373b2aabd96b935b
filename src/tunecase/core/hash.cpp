#include "tunecase/core/hash.h"

namespace tunecase {

uint64_t fnv1a64(std::string_view bytes, uint64_t state) {
  uint64_t h = state;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string text_hash(std::string_view text) {
  std::string out;
  append_hex(out, fnv1a64(text), 16);
  return out;
}

void append_hex(std::string& out, uint64_t value, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::size_t at = out.size();
  out.resize(at + static_cast<std::size_t>(digits));
  for (int i = digits - 1; i >= 0; --i) {
    out[at + static_cast<std::size_t>(i)] = kDigits[value & 0xf];
    value >>= 4;
  }
}

}  // namespace tunecase
