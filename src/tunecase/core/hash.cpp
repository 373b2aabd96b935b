#include "tunecase/core/hash.h"

#include <fmt/format.h>

namespace tunecase {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string text_hash(std::string_view text) {
  return fmt::format("{:016x}", fnv1a64(text));
}

}  // namespace tunecase
