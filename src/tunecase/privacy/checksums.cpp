#include "tunecase/privacy/checksums.h"

#include <cstddef>

namespace tunecase {

bool luhn_valid(std::string_view digits) {
  int sum = 0, count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') continue;
    int d = *it - '0';
    if (count % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    ++count;
  }
  return count >= 2 && sum % 10 == 0;
}

bool iban_valid(std::string_view iban) {
  // The code without its spaces (or dashes), its first four characters moved to the end, read as
  // one number (letters as 10..35) modulo 97; digit by digit, so it never overflows and nothing is
  // copied.
  char head[4];
  std::size_t size = 0;
  int remainder = 0;
  auto add = [&](char c) {
    if (c >= '0' && c <= '9') {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    } else if (c >= 'a' && c <= 'z') {  // typed in lower case: the same code (ISO 13616 letters)
      remainder = (remainder * 100 + (c - 'a' + 10)) % 97;
    } else {
      return false;
    }
    return true;
  };
  for (char c : iban) {
    if (c == ' ' || c == '-') continue;  // groups written with spaces or dashes
    if (size < 4) {
      head[size++] = c;
      continue;
    }
    if (!add(c)) return false;
    ++size;
  }
  if (size < 15 || size > 34) return false;
  for (char c : head)
    if (!add(c)) return false;
  return remainder == 1;
}

}  // namespace tunecase
