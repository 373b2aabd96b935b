#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tunecase {

// 64-bit FNV-1a: stable across runs and machines, for ids and text fingerprints (not security).
// `state` continues a hash over bytes given in parts (a file read in chunks).
inline constexpr uint64_t kFnv1a64Start = 14695981039346656037ull;
uint64_t fnv1a64(std::string_view bytes, uint64_t state = kFnv1a64Start);

// splitmix64's finaliser (Steele, Lea & Flood 2014): every input bit reaches every output bit.
// FNV-1a's low bits follow few input bits (its lowest is the parity of the odd bytes), so a hash
// that picks among a few choices (`% n`) goes through this first.
inline constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// 16 lowercase hex digits of fnv1a64(text): the "text hash" written next to predictions so that
// reports can refer to a row without repeating its text.
std::string text_hash(std::string_view text);

// The low `digits` hex digits of `value`, lowercase and zero-padded, appended to `out` (what
// fmt's "{:0Nx}" gives, without parsing a format on every call: ids are made per request).
void append_hex(std::string& out, uint64_t value, int digits);

}  // namespace tunecase
