#include "tunecase/privacy/checksums.h"

#include <string>

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
  std::string compact;
  for (char c : iban)
    if (c != ' ') compact += c;
  if (compact.size() < 15 || compact.size() > 34) return false;
  std::string rotated = compact.substr(4) + compact.substr(0, 4);
  int remainder = 0;  // the number is processed digit by digit, so it never overflows
  for (char c : rotated) {
    if (c >= '0' && c <= '9') {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return remainder == 1;
}

}  // namespace tunecase
