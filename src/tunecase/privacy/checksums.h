#pragma once

// The check digits that tell a real card or account number from an order number of the same
// shape: a random digit string passes Luhn one time in ten and mod-97 one time in 97, so an order
// or ticket number is left alone nine times in ten (cards) and 96 times in 97 (IBANs).

#include <string_view>

namespace tunecase {

// Luhn (ISO/IEC 7812-1): from the right, every second digit doubled (minus 9 above 9), the sum
// divisible by 10. Characters other than digits are skipped; false below 2 digits.
bool luhn_valid(std::string_view digits);

// IBAN (ISO 13616): the first four characters moved to the end, letters as 10..35, the number
// mod 97 equals 1. Spaces are skipped; false for other characters or a length outside 15..34.
bool iban_valid(std::string_view iban);

}  // namespace tunecase
