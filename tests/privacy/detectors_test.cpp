#include "tunecase/privacy/detectors.h"
#include "tunecase/core/ascii_case.h"

#include <gtest/gtest.h>

#include <cctype>
#include <random>

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

// A Retina image's name is a file, not an address (a name in Han before it had made it one).
// An apostrophe inside a name is part of the address (the name before it had gone out); a quote
// opened before the address is not.
TEST(EmailDetector, TakesAnApostropheInsideANameAndLeavesAnOpeningQuote) {
  EXPECT_EQ(found("email", "write ANNA.O'BRIEN@EXAMPLE.COM or 'bob@example.com' today"),
            (Strings{"ANNA.O'BRIEN@EXAMPLE.COM", "bob@example.com"}));
}

TEST(EmailDetector, IgnoresFileNames) {
  EXPECT_EQ(found("email",
                  "图标@3x.png 已上传, icon@2x.PNG and logo@2x.svg, report@final.docx, "
                  "photo@2x.heic, arch@v2.tar.gz; anna@example.md"),
            (Strings{"anna@example.md"}));
}

TEST(EmailDetector, IgnoresHandlesAndAddressesWithoutDomain) {
  EXPECT_EQ(found("email", "ping @anna or root@localhost or a@b.c or x@.com"), Strings{});
}

TEST(UrlDetector, FindsSchemesAndWwwWithoutClosingPunctuation) {
  EXPECT_EQ(found("url", "see (https://example.com/a?b=1). and www.example.org/x, HTTP://A.B"),
            (Strings{"https://example.com/a?b=1", "www.example.org/x", "HTTP://A.B"}));
}

// Internationalised domains: the URL's host, path and token and the address went out (the scan
// stopped at the first non-ASCII byte); punctuation such as "…" still ends a URL.
TEST(UrlDetector, FindsInternationalisedHostsWhole) {
  EXPECT_EQ(found("url", "reset link https://bücher.example.de/reset?token=SECRET77 broken"),
            (Strings{"https://bücher.example.de/reset?token=SECRET77"}));
  EXPECT_EQ(found("url", "see https://example.com/a… then"), (Strings{"https://example.com/a"}));
  EXPECT_EQ(found("email", "please write to anna@firma-müller.de about it"),
            (Strings{"anna@firma-müller.de"}));
  EXPECT_EQ(found("email", "ask ivan@пример.рф today"), (Strings{"ivan@пример.рф"}));
  // Hosts of another script only, and local parts with letters beyond ASCII: whole, not the
  // tail after the last non-ASCII letter ("José.Garcí<EMAIL_1>" left the name in the request).
  EXPECT_EQ(found("url", "См. https://пример.рф/путь/к/странице спасибо"),
            (Strings{"https://пример.рф/путь/к/странице"}));
  // Scripts written without spaces: the host whole, and nothing of the sentence around it (a whole
  // Chinese or Japanese ticket had become one <URL_1> or <EMAIL_1>).
  EXPECT_EQ(found("url", "Link https://例え.テスト/パス のページ"),
            (Strings{"https://例え.テスト/"}));
  EXPECT_EQ(found("url", "詳細はhttps://例え.jp/パスを見てください今日中に"),
            (Strings{"https://例え.jp/"}));
  EXPECT_EQ(found("url", "网址是www.例子.中国请访问"), (Strings{"www.例子"}));
  EXPECT_EQ(found("email", "我的邮箱是wang@qq.com请回复"), (Strings{"wang@qq.com"}));
  // A local part in a script without spaces: where the name starts is unknown, so the run before
  // the @ is taken, at most 8 letters (it had been left out, and the domain with it).
  EXPECT_EQ(found("email", "请联系张伟@example.cn谢谢您的帮助"),
            (Strings{"请联系张伟@example.cn"}));
  EXPECT_EQ(found("email", "您好请您联系我们的张伟@example.cn"),
            (Strings{"您联系我们的张伟@example.cn"}));
  EXPECT_EQ(found("email", "email José.García@empresa.es done"),
            (Strings{"José.García@empresa.es"}));
  EXPECT_EQ(found("email", "email Anna.Müller@firma-müller.de done"),
            (Strings{"Anna.Müller@firma-müller.de"}));
}

TEST(UrlDetector, IgnoresABareScheme) {
  EXPECT_EQ(found("url", "https:// and www."), Strings{});
}

TEST(IpDetector, FindsIpv4AndIpv6) {
  EXPECT_EQ(found("ip", "from 192.168.0.1, 10.0.0.255 and 2001:db8::1 or fe80:0:0:0:0:0:0:1"),
            (Strings{"192.168.0.1", "10.0.0.255", "2001:db8::1", "fe80:0:0:0:0:0:0:1"}));
}

// An IPv6 address whose last 32 bits are a dotted quad, as web servers log IPv4 clients: whole
// (it had ended at the first dot and sent three parts of the IPv4 address out).
TEST(IpDetector, FindsIpv6WithAnIpv4TailWhole) {
  EXPECT_EQ(found("ip",
                  "mapped ::ffff:203.0.113.77 and 64:ff9b::198.51.100.7, "
                  "0:0:0:0:0:ffff:192.0.2.1."),
            (Strings{"::ffff:203.0.113.77", "64:ff9b::198.51.100.7", "0:0:0:0:0:ffff:192.0.2.1"}));
}

// With a port after it, as Node and Express log a client: the address whole (it went out raw).
TEST(IpDetector, FindsAnIpv6WithAnIpv4TailBeforeAPort) {
  EXPECT_EQ(found("ip", "from ::ffff:203.0.113.7:443 and (64:ff9b::198.51.100.7:53)"),
            (Strings{"::ffff:203.0.113.7", "64:ff9b::198.51.100.7"}));
  // A dot that starts no dotted quad ends the address, as at a sentence's end.
  EXPECT_EQ(found("ip", "connect to 2001:db8::1. Or fe80::1."),
            (Strings{"2001:db8::1", "fe80::1"}));
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

// A reference number in a card's layout that fails Luhn is no phone number either, in part or
// whole: its last twelve digits had been replaced as one. A phone after it is still found.
TEST(PhoneDetector, LeavesAReferenceInACardsLayout) {
  EXPECT_EQ(found("phone", "ref 4539 2914 1777 6315 is my invoice"), Strings{});
  EXPECT_EQ(found("phone", "reference number 1234-5678-9012-3456"), Strings{});
  EXPECT_EQ(found("phone", "ref 1234 5678 9012 3456 call 415-555-2671"), (Strings{"415-555-2671"}));
  EXPECT_EQ(found("phone", "order 12345678 415-555-2671"), (Strings{"415-555-2671"}));
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

// Typed in lower or mixed case, an IBAN is the same account (it went out in clear): read for a
// country of the registry at that country's length, so a lower-case word before a number is not.
TEST(IbanDetector, FindsIbansTypedInLowerOrMixedCase) {
  EXPECT_EQ(found("iban", "refund to de89 3704 0044 0532 0130 00 please, or nl91abna0417164300"),
            (Strings{"de89 3704 0044 0532 0130 00", "nl91abna0417164300"}));
  EXPECT_EQ(found("iban", "acct Gb82 west 1234 5698 7654 32 thanks"),
            (Strings{"Gb82 west 1234 5698 7654 32"}));
  EXPECT_EQ(found("iban", "GB82 west 1234 5698 7654 32"), (Strings{"GB82 west 1234 5698 7654 32"}));
  EXPECT_EQ(found("iban", "de88 3704 0044 0532 0130 00 and gb00 west 1234 5698 7654 32"),
            Strings{});
  // Words of a sentence after a lower-case code are not an account's groups, whatever their
  // lengths add up to ("no38 will not open" is 15 characters that pass mod 97).
  EXPECT_EQ(found("iban", "locker no38 will not open again"), Strings{});
  EXPECT_EQ(found("iban", "The locker no38 will not open again, help"), Strings{});
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

// Written the ways people type them: an extension against the number, a slash after a German
// area code (each had gone out whole). "x" or "ext" against a number without digits ends it.
TEST(PhoneDetector, FindsExtensionsAndSlashesAfterAnAreaCode) {
  EXPECT_EQ(found("phone",
                  "call 415-555-2671x123, +44 20 7946 0958ext12; 0171/1234567 or 030/12345678; "
                  "415-555-2671ext now"),
            (Strings{"415-555-2671x123", "+44 20 7946 0958ext12", "0171/1234567", "030/12345678",
                     "415-555-2671"}));
  EXPECT_EQ(found("phone", "call 415-555-2671xyz"), (Strings{"415-555-2671"}));
  // The international forms of a slashed number, and one after an abbreviation's dot.
  EXPECT_EQ(found("phone",
                  "Tel.: +49 (0)171/1234567, +49 30/12345678, 0049 171/1234567, +43 1/5321234; "
                  "tel.415.555.2671"),
            (Strings{"+49 (0)171/1234567", "+49 30/12345678", "0049 171/1234567", "+43 1/5321234",
                     "415.555.2671"}));
}

// A bracketed remark after a number is not an area code: the number ends before the bracket
// (these had been read, with the bracket's first digits, as one phone number).
TEST(PhoneDetector, EndsANumberBeforeABracketedRemark) {
  EXPECT_EQ(found("phone",
                  "Termin 10:30 (15.01.2025), room 12 (2024-01-15), Invoice #123456 (12.03.2025), "
                  "order 12345678 (2x), Order 61190378 (03:15:48), build UP1A.231005.007"),
            Strings{});
  EXPECT_EQ(found("phone", "call +1 (555) 123-4567 or +49 (0)30 12345678 or (555) 123-4567"),
            (Strings{"+1 (555) 123-4567", "+49 (0)30 12345678", "(555) 123-4567"}));
}

// A phone number right after a date, an order number or a bracketed remark is found on its own
// (the digits before it had made one candidate too long to be a number, and both went out).
TEST(PhoneDetector, FindsANumberRightAfterANumberThatIsNotOne) {
  EXPECT_EQ(
      found("phone",
            "new number (from 15.01.2025) 415-555-2671 please; since 2025-01-15 "
            "415-555-2672; order 12345678 13812345678; order #123456 415-555-2673; "
            "2003 - 2004 - 2005 030 12345678"),
      (Strings{"415-555-2671", "415-555-2672", "13812345678", "415-555-2673", "030 12345678"}));
  // A bracket after the number is a remark, not an area code, and stays out of it.
  EXPECT_EQ(found("phone", "order 12345678 (2) missing, Rechnung 12345678 (2024) offen"),
            Strings{});
  EXPECT_EQ(found("phone", "call 030 12345678 (2) today"), (Strings{"030 12345678"}));
}

// Mobiles written as one run of 11 digits without their '+' or trunk 0: China's, a North
// American number with its country code, Russia's with its trunk 8 or country code 7.
TEST(PhoneDetector, FindsElevenDigitMobilesWrittenAsOneRun) {
  EXPECT_EQ(
      found("phone", "手机 13812345678 请回复, call 14155552671, мой 89123456789, 79123456789"),
      (Strings{"13812345678", "14155552671", "89123456789", "79123456789"}));
  EXPECT_EQ(found("phone", "order 10012345678, ref 55512345678, 4155552671"), Strings{});
}

// A number written with a spaced dash between groups of a phone number's layout; two groups, or
// groups of years, are a range.
TEST(PhoneDetector, FindsGroupsJoinedBySpacedDashes) {
  EXPECT_EQ(
      found("phone", "call 415 - 555 - 2671 today or 020 - 7946 - 0958, +44 - 20 - 7946 - 0958"),
      (Strings{"415 - 555 - 2671", "020 - 7946 - 0958", "+44 - 20 - 7946 - 0958"}));
  EXPECT_EQ(found("phone", "from 100000 - 200000, 2019 - 2020 - 2021, 2024 - 01 - 15, 1 - 2 - 3"),
            Strings{});
}

// Slashes and dashes that are periods, references and ranges, not phones (the first rule for
// slashes and spaced dashes had read all of these as numbers).
TEST(PhoneDetector, LeavesPeriodsReferencesAndRanges) {
  EXPECT_EQ(found("phone",
                  "10/2024 - 12/2024, 2024/05 - 2024/06, 2019 - 2020 - 2021, PO 2024/123456, "
                  "ref 2024/0012345, order 12345/678901, ticket 123456 / 789, 100000 - 200000, "
                  "IDs 123456 - 789012, 05/12/2026, 1/2, 24/7, 1920x1080"),
            Strings{});
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
      if (kind == "card" || kind == "phone" || kind == "email") {
        EXPECT_TRUE(spans.empty()) << kind;
      }
    }
  }
}

// The URL rule read byte by byte, as the detector did before it jumped between "://" and "www."
// with string searches: the two must agree on every text.
std::vector<std::pair<std::size_t, std::size_t>> urls_byte_by_byte(std::string_view t) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  auto domain = [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  };
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t i = 0;
  while (i < t.size()) {
    std::size_t prefix = 0;
    std::string_view rest = t.substr(i);
    std::string head = ascii_lower(rest.substr(0, 8));  // schemes and hosts have no case
    if (head.starts_with("https://"))
      prefix = 8;
    else if (head.starts_with("http://"))
      prefix = 7;
    else if (head.starts_with("www."))
      prefix = 4;
    if (prefix == 0 || (prefix == 4 && i > 0 && word(t[i - 1]))) {
      ++i;
      continue;
    }
    std::size_t e = i + prefix;
    while (e < t.size()) {
      unsigned char c = static_cast<unsigned char>(t[e]);
      if (t.substr(e).starts_with("é")) {  // a letter: part of an internationalised host
        e += 2;
        continue;
      }
      if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == '`' || c >= 0x80) break;
      ++e;
    }
    while (e > i + prefix &&
           std::string_view(".,;:!?)]}'").find(t[e - 1]) != std::string_view::npos)
      --e;
    if (e > i + prefix && (domain(t[i + prefix]) || t.substr(i + prefix).starts_with("é")))
      out.emplace_back(i, e);
    i = std::max(e, i + 1);
  }
  return out;
}

TEST(UrlDetector, AgreesWithTheByteByByteRuleOnRandomText) {
  const std::vector<std::string> pieces = {"http",  "https", "HTTP", "HTTPS", "://", ":/", "www.",
                                           "WWW.",  "ww",    "x",    "s",     ".",   " ",  "a-b",
                                           "<",     ":",     ")",    "_",     "7",   "é",  "Http",
                                           "hTTpS", "Www.",  "wW",   "W"};
  std::mt19937_64 rng(11);
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 30); k < n; ++k)
      text += pieces[rng() % pieces.size()];
    std::vector<PiiSpan> spans;
    find_urls(text, spans);
    std::vector<std::pair<std::size_t, std::size_t>> got;
    for (const auto& s : spans) got.emplace_back(s.begin, s.end);
    ASSERT_EQ(got, urls_byte_by_byte(text)) << text;
  }
}

TEST(DigitRuns, AreTheFirstDigitOfEveryRunAcrossBlocksAndHighBytes) {
  // The starts are read 16 bytes at a time: runs that cross a block's edge, texts of every
  // length around it, and bytes above 0x7F (never digits) must give what a byte loop gives.
  const std::string alphabet = "0123456789 a.-\xe9\x80\xff";
  std::mt19937_64 rng(17);
  for (int round = 0; round < 4000; ++round) {
    std::string text;
    for (int k = 0, n = static_cast<int>(rng() % 70); k < n; ++k)
      text +=
          rng() % 3 == 0 ? alphabet[rng() % alphabet.size()] : static_cast<char>('0' + rng() % 10);
    std::vector<uint32_t> want;
    for (std::size_t i = 0; i < text.size(); ++i)
      if (std::isdigit(static_cast<unsigned char>(text[i])) &&
          (i == 0 || !std::isdigit(static_cast<unsigned char>(text[i - 1]))))
        want.push_back(static_cast<uint32_t>(i));
    ASSERT_EQ(DigitRuns(text).starts(), want) << text;
  }
  EXPECT_EQ(DigitRuns(std::string(16, '7') + "x" + std::string(15, '8') + "9").starts(),
            (std::vector<uint32_t>{0, 17}));
}

TEST(Detectors, ReadUtf8TextOfOtherScriptsWithoutSplittingCharacters) {
  std::string text =
      "Клиент Мария: почта maria@example.com, телефон +7 495 123-45-67. 電話 "
      "+81 3 1234 5678 メール 山田@example.jp";
  EXPECT_EQ(found("email", text), (Strings{"maria@example.com", "山田@example.jp"}));
  EXPECT_EQ(found("phone", text), (Strings{"+7 495 123-45-67", "+81 3 1234 5678"}));
}

}  // namespace
}  // namespace tunecase
