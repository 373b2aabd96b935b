#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tunecase {

// 64-bit FNV-1a: stable across runs and machines, for ids and text fingerprints (not security).
uint64_t fnv1a64(std::string_view bytes);

// 16 lowercase hex digits of fnv1a64(text): the "text hash" written next to predictions so that
// reports can refer to a row without repeating its text.
std::string text_hash(std::string_view text);

}  // namespace tunecase
