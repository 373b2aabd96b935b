#include "tunecase/privacy/detectors.h"

#include <gtest/gtest.h>

namespace tunecase {
namespace {

// The matched substrings of one kind.
std::vector<std::string> found(std::string_view kind, std::string_view text) {
  std::vector<PiiSpan> spans;
  find_pii(kind, text, spans);
  std::vector<std::string> out;
  for (const auto& s : spans) {
    EXPECT_EQ(s.kind, kind);
    out.emplace_back(text.substr(s.begin, s.end - s.begin));
  }
  return out;
}

using Strings = std::vector<std::string>;

TEST(EmailDetector, FindsAddressesAndLeavesTrailingPunctuation) {
  EXPECT_EQ(found("email", "mail anna.smith+x@mail.example.org, or JOHN@EXAMPLE.COM."),
            (Strings{"anna.smith+x@mail.example.org", "JOHN@EXAMPLE.COM"}));
}

TEST(EmailDetector, IgnoresHandlesAndAddressesWithoutDomain) {
  EXPECT_EQ(found("email", "ping @anna or root@localhost or a@b.c or x@.com"), Strings{});
}

TEST(UrlDetector, FindsSchemesAndWwwWithoutClosingPunctuation) {
  EXPECT_EQ(found("url", "see (https://example.com/a?b=1). and www.example.org/x, HTTP://A.B"),
            (Strings{"https://example.com/a?b=1", "www.example.org/x", "HTTP://A.B"}));
}

TEST(UrlDetector, IgnoresABareScheme) {
  EXPECT_EQ(found("url", "https:// and www."), Strings{});
}

TEST(IpDetector, FindsIpv4AndIpv6) {
  EXPECT_EQ(found("ip", "from 192.168.0.1, 10.0.0.255 and 2001:db8::1 or fe80:0:0:0:0:0:0:1"),
            (Strings{"192.168.0.1", "10.0.0.255", "2001:db8::1", "fe80:0:0:0:0:0:0:1"}));
}

TEST(IpDetector, IgnoresVersionsTimesAndOutOfRangeParts) {
  EXPECT_EQ(found("ip", "v1.2.3, 256.1.1.1, 1.2.3.4.5, at 12:30:45, mac 00:1a:2b:3c:4d:5e"),
            Strings{});
}

TEST(CardDetector, FindsLuhnValidNumbersInCommonLayouts) {
  EXPECT_EQ(found("card", "cards 4111111111111111, 5555 5555 5555 4444 and 3782-822463-10005"),
            (Strings{"4111111111111111", "5555 5555 5555 4444", "3782-822463-10005"}));
}

TEST(CardDetector, LeavesOrderNumbersThatFailLuhn) {
  EXPECT_EQ(found("card", "order 4111111111111112 and ref 1234 5678 9012 3456"), Strings{});
}

TEST(CardDetector, FindsACardAfterAnUnrelatedNumber) {
  EXPECT_EQ(found("card", "qty 2 4111 1111 1111 1111"), (Strings{"4111 1111 1111 1111"}));
}

TEST(CardDetector, IgnoresDigitsInsideWords) {
  EXPECT_EQ(found("card", "SKU4111111111111111 and 4111111111111111X"), Strings{});
}

TEST(IbanDetector, FindsValidIbansCompactAndSpaced) {
  EXPECT_EQ(found("iban", "pay DE89370400440532013000 or GB82 WEST 1234 5698 7654 32 THANKS"),
            (Strings{"DE89370400440532013000", "GB82 WEST 1234 5698 7654 32"}));
}

TEST(IbanDetector, LeavesWrongCheckDigits) {
  EXPECT_EQ(found("iban", "DE88370400440532013000 and GB00 WEST 1234 5698 7654 32"), Strings{});
}

TEST(PhoneDetector, FindsInternationalAndGroupedNumbers) {
  EXPECT_EQ(found("phone",
                  "call +44 20 7946 0958, (555) 123-4567, +1-202-555-0143, 030 1234567 or "
                  "07700900123."),
            (Strings{"+44 20 7946 0958", "(555) 123-4567", "+1-202-555-0143", "030 1234567",
                     "07700900123"}));
}

TEST(PhoneDetector, LeavesDatesOrderNumbersAndShortNumbers) {
  EXPECT_EQ(found("phone",
                  "on 2024-01-15 10:30, 15.01.2025, order 12345678, ticket #123456, $1,299.00, "
                  "v 1.2.3, 555-1234"),
            Strings{});
}

TEST(Detectors, SurviveAdversarialInputInLinearTime) {
  // A million digits, '@'s, dots and colons: each detector must finish (quickly) and find no
  // card or phone in a digit run far longer than any real number.
  std::string digits(1'000'000, '7');
  std::string ats(200'000, '@');
  std::string dots;
  for (int i = 0; i < 100'000; ++i) dots += "1.";
  std::string colons;
  for (int i = 0; i < 100'000; ++i) colons += "a:";
  std::string spaced;
  for (int i = 0; i < 100'000; ++i) spaced += "4 ";
  for (const auto& kind : builtin_pii_kinds()) {
    for (const std::string* text : {&digits, &ats, &dots, &colons, &spaced}) {
      std::vector<PiiSpan> spans;
      find_pii(kind, *text, spans);
      if (kind == "card" || kind == "phone" || kind == "email") EXPECT_TRUE(spans.empty()) << kind;
    }
  }
}

TEST(Detectors, ReadUtf8TextOfOtherScriptsWithoutSplittingCharacters) {
  std::string text =
      "Клиент Мария: почта maria@example.com, телефон +7 495 123-45-67. 電話 "
      "+81 3 1234 5678 メール 山田@example.jp";
  EXPECT_EQ(found("email", text), (Strings{"maria@example.com"}));
  EXPECT_EQ(found("phone", text), (Strings{"+7 495 123-45-67", "+81 3 1234 5678"}));
}

}  // namespace
}  // namespace tunecase
