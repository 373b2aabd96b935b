#include "tunecase/privacy/checksums.h"

#include <gtest/gtest.h>

#include "tunecase/privacy/sha256.h"

namespace tunecase {
namespace {

TEST(Luhn, AcceptsKnownTestCardNumbers) {
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_TRUE(luhn_valid("5555 5555 5555 4444"));
  EXPECT_TRUE(luhn_valid("3782-822463-10005"));
  EXPECT_TRUE(luhn_valid("79927398713"));
}

TEST(Luhn, RejectsOneWrongDigitAndTooShortInput) {
  EXPECT_FALSE(luhn_valid("4111111111111112"));
  EXPECT_FALSE(luhn_valid("79927398710"));
  EXPECT_FALSE(luhn_valid("0"));
  EXPECT_FALSE(luhn_valid(""));
}

TEST(Iban, AcceptsPublishedExamples) {
  EXPECT_TRUE(iban_valid("DE89370400440532013000"));
  EXPECT_TRUE(iban_valid("GB82 WEST 1234 5698 7654 32"));
  EXPECT_TRUE(iban_valid("FR1420041010050500013M02606"));
  EXPECT_TRUE(iban_valid("NL91ABNA0417164300"));
}

TEST(Iban, RejectsWrongCheckDigitsLengthsAndCharacters) {
  EXPECT_FALSE(iban_valid("DE88370400440532013000"));
  EXPECT_FALSE(iban_valid("DE8937040044"));
  EXPECT_FALSE(iban_valid("de88370400440532013000"));
  EXPECT_FALSE(iban_valid("DE89_3704_0044_0532_0130_00"));
}

// Letters count the same in either case (ISO 13616): an IBAN typed in lower case is the account.
TEST(Iban, ReadsLowerCaseLettersAsCapitals) {
  EXPECT_TRUE(iban_valid("de89370400440532013000"));
  EXPECT_TRUE(iban_valid("gb82 west 1234 5698 7654 32"));
  EXPECT_TRUE(iban_valid("Nl91AbNa0417164300"));
}

// Groups written with dashes are an IBAN as much as with spaces (a dashed IBAN went out
// unredacted).
TEST(Iban, AcceptsGroupsSeparatedByDashes) {
  EXPECT_TRUE(iban_valid("DE89-3704-0044-0532-0130-00"));
  EXPECT_FALSE(iban_valid(std::string(40, '1')));
}

TEST(Sha256, MatchesFips180TestVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace tunecase
