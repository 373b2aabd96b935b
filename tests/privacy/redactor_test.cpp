#include "tunecase/privacy/redactor.h"

#include <gtest/gtest.h>

#include <random>

#include "tunecase/privacy/pii_generator.h"

namespace tunecase {
namespace {

Redactor all_kinds(std::vector<CustomPattern> custom = {}) {
  return Redactor(RedactionRules{builtin_pii_kinds(), std::move(custom)});
}

TEST(Redactor, ReplacesEachMatchByATypedNumberedPlaceholder) {
  std::string out = all_kinds().redact(
      "Mail anna@example.com or bob@example.com, card 4111 1111 1111 1111, from 10.1.2.3");
  EXPECT_EQ(out, "Mail <EMAIL_1> or <EMAIL_2>, card <CARD_1>, from <IP_1>");
}

TEST(Redactor, GivesTheSameValueTheSamePlaceholderWithinOneRequest) {
  Redactor r = all_kinds();
  PlaceholderMap map;
  std::string system = r.redact("Example: write to anna@example.com -> billing", map);
  std::string user = r.redact("anna@example.com again, and bob@example.com", map);
  EXPECT_EQ(system, "Example: write to <EMAIL_1> -> billing");
  EXPECT_EQ(user, "<EMAIL_1> again, and <EMAIL_2>");
  EXPECT_EQ(map.counts(), (RedactionCounts{{"email", 2}}));
}

// A ticket that quotes a placeholder as written ("<EMAIL_1>" from a template) and gives an
// address: the address gets another number (both had read <EMAIL_1>, one person to the model).
TEST(Redactor, NumbersPastPlaceholdersTheTextAlreadyHolds) {
  PlaceholderMap map;
  std::string out = all_kinds().redact(
      "the template says <EMAIL_1> and <EMAIL_2>; mine is anna@example.com", map);
  EXPECT_EQ(out, "the template says <EMAIL_1> and <EMAIL_2>; mine is <EMAIL_3>");
  EXPECT_EQ(map.counts(), (RedactionCounts{{"email", 1}}));
}

// "Www." in a text with no digit, "@" or "://": the quick check before the detectors had looked
// for "www." and "WWW." alone, and the URL went out.
TEST(Redactor, FindsAMixedCaseWwwInATextWithoutDigits) {
  EXPECT_EQ(all_kinds().redact("see Www.shop.de now"), "see <URL_1> now");
  EXPECT_EQ(all_kinds().redact("see wWw.store.de now"), "see <URL_1> now");
}

TEST(Redactor, RedactsOnlyTheKindsItIsGiven) {
  Redactor r(RedactionRules{{"email"}, {}});
  EXPECT_EQ(r.redact("anna@example.com on +44 20 7946 0958"), "<EMAIL_1> on +44 20 7946 0958");
}

TEST(Redactor, LetsAUrlClaimTheAddressInside) {
  EXPECT_EQ(all_kinds().redact("https://example.com/u/anna@example.com ok"), "<URL_1> ok");
}

TEST(Redactor, KeepsOrderNumbersDatesAndPrices) {
  std::string text = "order 4111111111111112 on 2024-01-15, $12.50, ticket #123456, v2.3.1";
  EXPECT_EQ(all_kinds().redact(text), text);
}

TEST(Redactor, DisabledRedactorChangesNothing) {
  Redactor none;
  EXPECT_FALSE(none.enabled());
  EXPECT_EQ(none.redact("anna@example.com"), "anna@example.com");
}

TEST(CustomPatterns, MatchWholeWordsWithClassesAndRepeats) {
  Redactor r = all_kinds(
      {CustomPattern("employee_id", "EMP-######"), CustomPattern("case_ref", "CASE\\##+")});
  EXPECT_EQ(r.redact("EMP-123456 and XEMP-123456, EMP-1234567, CASE#42 and CASE#9"),
            "<EMPLOYEE_ID_1> and XEMP-123456, EMP-1234567, <CASE_REF_1> and <CASE_REF_2>");
}

TEST(CustomPatterns, MatchWhateverClassTheyStartWith) {
  // The search skips to where the first element can match: a literal, a digit, a letter.
  Redactor r = all_kinds({CustomPattern("ticket", "#####-%%"), CustomPattern("ref", "%%#+")});
  EXPECT_EQ(r.redact("x 12345-AB, 912345-AB, 12345-AB9 AB7 and AB"),
            "x <TICKET_1>, 912345-AB, 12345-<REF_1> <REF_2> and AB");
}

TEST(BytePairFilter, NeverRulesOutWhatTheTextHoldsAndRulesOutMostOfTheRest) {
  std::mt19937_64 rng(5);
  std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 @.-+<>";
  std::size_t ruled_out = 0, absent = 0;
  for (int round = 0; round < 200; ++round) {
    std::string text;
    for (int i = 0; i < 200; ++i) text += alphabet[rng() % alphabet.size()];
    BytePairFilter pairs(text);
    for (int k = 0; k < 50; ++k) {
      std::size_t b = rng() % text.size(), n = 1 + rng() % 20;
      EXPECT_TRUE(pairs.may_contain(text.substr(b, n)));  // every substring may
      std::string other;
      for (std::size_t i = 0; i < 12; ++i) other += alphabet[rng() % alphabet.size()];
      if (text.find(other) != std::string::npos) continue;
      ++absent;
      ruled_out += !pairs.may_contain(other);
    }
  }
  EXPECT_TRUE(BytePairFilter("").may_contain("x"));  // one byte: always may
  EXPECT_FALSE(BytePairFilter("").may_contain("xy"));
  // 200 random bytes over 43 symbols fill about a tenth of the 1,849 pairs; a 12-byte value
  // passes 11 pair tests, so nearly every absent value is ruled out without a search.
  EXPECT_GT(static_cast<double>(ruled_out), 0.6 * static_cast<double>(absent));
}

TEST(CustomPatterns, RejectBadPatternsAndNamesWithAReason) {
  EXPECT_THROW(CustomPattern("x", ""), std::invalid_argument);
  EXPECT_THROW(CustomPattern("x", "+#"), std::invalid_argument);
  EXPECT_THROW(CustomPattern("x", "A\\"), std::invalid_argument);
  EXPECT_THROW(CustomPattern("x", "#++"), std::invalid_argument);
  EXPECT_THROW(CustomPattern("Bad-Name", "#"), std::invalid_argument);
  EXPECT_THROW(CustomPattern("email", "#"), std::invalid_argument);
}

TEST(CustomPatterns, NeverMatchInsideAPlaceholder) {
  // "%+_#" would match EMAIL_1 inside <EMAIL_1>; placeholders are left alone.
  Redactor r = all_kinds({CustomPattern("token", "%+_#")});
  std::string once = r.redact("anna@example.com and AB_1");
  EXPECT_EQ(once, "<EMAIL_1> and <TOKEN_1>");
  EXPECT_EQ(r.redact(once), once);
}

TEST(Placeholders, AreCountedOncePerDistinctValue) {
  EXPECT_EQ(count_placeholders("<EMAIL_1> <EMAIL_1> <CARD_2> <EMPLOYEE_ID_1> <notone> <X_>"),
            (RedactionCounts{{"card", 1}, {"email", 1}, {"employee_id", 1}}));
}

// A prompt carries a text on one line (line breaks read as spaces), so a card split over two
// lines was redacted in the request but quoted raw in the data-quality report and the store.
TEST(Redactor, ReadsLineBreaksAsSpacesAndKeepsThem) {
  Redactor r = all_kinds({});
  EXPECT_EQ(r.redact("card 4455 5308\n1571 9024 split"), "card <CARD_1> split");
  EXPECT_EQ(r.redact("card 4455 5308 1571 9024 split"), "card <CARD_1> split");
  EXPECT_EQ(r.redact("mail\tanna@example.com\r\nthanks"), "mail\t<EMAIL_1>\r\nthanks");
  // Windows line endings, a space before the break (flowed e-mail), a dash before it: the break
  // reads as two or three spaces, which the card and IBAN detectors take as one separator.
  for (const char* split :
       {"card 4111 1111\r\n1111 1111 charged", "card 4111 1111 \n1111 1111 charged",
        "card 4111-1111-1111-\n1111 charged"})
    EXPECT_EQ(r.redact(split), "card <CARD_1> charged") << split;
  EXPECT_EQ(r.redact("iban DE89 3704 0044\r\n0532 0130 00 thanks"), "iban <IBAN_1> thanks");
  // Two phone numbers whose digits pass Luhn together: the run goes whole, not a card and the
  // second number's last digits in clear.
  EXPECT_EQ(r.redact("Call 030 1234567\r\n040 7654321 either"), "Call <CARD_1> either");
  // No-break spaces between the groups (pasted from a web page): U+00A0 and U+202F.
  EXPECT_EQ(r.redact("card 4111\u00a01111\u00a01111\u00a01111 charged"), "card <CARD_1> charged");
  EXPECT_EQ(r.redact("card 4111\u202f1111\u202f1111\u202f1111 charged"), "card <CARD_1> charged");
  // An IBAN written with dashes, on one line or broken after one.
  EXPECT_EQ(r.redact("iban GB82-WEST-1234-5698-7654-32 thanks"), "iban <IBAN_1> thanks");
  EXPECT_EQ(r.redact("iban GB82 WEST 1234-\r\n5698 7654 32 thanks"), "iban <IBAN_1> thanks");
}

// East Asian input methods type digits, letters and marks in their full-width forms; detection
// reads them as ASCII and the placeholder replaces the characters as written.
TEST(Redactor, ReadsFullWidthFormsAsTheirAsciiCharacters) {
  Redactor r = all_kinds({});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"電話は０９０－１２３４－５６７８です", "電話は<PHONE_1>です"},
      {"携帯 ０９０−１２３４−５６７８ まで", "携帯 <PHONE_1> まで"},
      {"メール ｍａｒｉａ＠ｅｘａｍｐｌｅ．ｃｏｍ へ", "メール <EMAIL_1> へ"},
      {"カード ４１１１　１１１１　１１１１　１１１１ で", "カード <CARD_1> で"},
      // The same number typed both ways in one request is one value.
      {"０９０－１２３４－５６７８ or 090-1234-5678", "<PHONE_1> or <PHONE_1>"},
      // Dashes other than the hyphen-minus between the groups.
      {"call 415–555–2671 today", "call <PHONE_1> today"},
      // A typographic apostrophe in a name's address, as phones and word processors type it.
      {"mail anna.o\u2019brien@example.com now", "mail <EMAIL_1> now"},
  };
  for (const auto& [text, redacted] : cases) EXPECT_EQ(r.redact(text), redacted) << text;
  // Spans are given in the text's own bytes.
  std::string text = "番号 ０３－１２３４－５６７８";
  auto spans = r.detect(text);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(text.substr(spans[0].begin, spans[0].end - spans[0].begin), "０３－１２３４－５６７８");
  // What is not a detectable value stays as written.
  EXPECT_EQ(r.redact("注文２０２４年　ＡＢＣ"), "注文２０２４年　ＡＢＣ");
}

// A training file's lines are redacted one by one, each numbering from 1: the audit of an upload
// counted 11 emails where the file held 1,933.
TEST(Placeholders, AreCountedPerLineOfATrainingFile) {
  EXPECT_EQ(
      count_placeholders("{\"a\":\"<EMAIL_1> <EMAIL_1>\"}\n{\"a\":\"<EMAIL_1>\"}\n\n<EMAIL_1>"),
      (RedactionCounts{{"email", 3}}));
}

// Random texts: generated tickets cut and spliced with noise, digits, separators and other
// scripts, so that spans meet each other and odd neighbours.
std::vector<std::string> random_texts(std::size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto tickets = generate_pii_tickets(200, seed);
  const std::vector<std::string> noise = {
      " ",    "-",  ".",    "@",    ":",         "+",      "(",        ")",
      "0",    "12", "4111", "DE89", "ü",         "Ж",      "名",       "\n",
      "www.", "<",  ">",    "_",    "<EMAIL_1>", "x",      "https://", "０",
      "１２", "－", "＠",   "．",   "\u3000",    "\u2212", "ｗｗｗ．", "＜"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string t;
    int parts = 1 + static_cast<int>(rng() % 8);
    for (int p = 0; p < parts; ++p) {
      if (rng() % 2 == 0) {
        const std::string& src = tickets[rng() % tickets.size()].text;
        std::size_t b = rng() % src.size();
        t += src.substr(b, rng() % 80);
      } else {
        t += noise[rng() % noise.size()];
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

TEST(RedactionProperties, RedactedTextHoldsNoDetectedSpanAndNoDetectedValue) {
  Redactor r = all_kinds({CustomPattern("employee_id", "EMP-#+")});
  for (const auto& text : random_texts(3000, 11)) {
    std::string out = r.redact(text);
    for (const auto& span : r.detect(out))
      ADD_FAILURE() << "after redaction, " << span.kind << " still found in: " << out;
    for (const auto& span : r.detect(text)) {
      std::string value = text.substr(span.begin, span.end - span.begin);
      if (value.size() >= 6) {  // short values (an IP "1.1.1.1") may reappear by chance in noise
        EXPECT_EQ(out.find(value), std::string::npos) << value << " survived in: " << out;
      }
    }
  }
}

TEST(RedactionProperties, WhatMayDetectRulesOutDetectFindsNothingIn) {
  // The shortcut that skips the detectors must never skip a match: on random texts, their
  // redactions (placeholders beside raw text) and texts without any trigger byte.
  Redactor r = all_kinds({CustomPattern("employee_id", "EMP-#+")});
  std::size_t ruled_out = 0;
  auto texts = random_texts(3000, 31);
  for (const auto& t : random_texts(1000, 37)) texts.push_back(r.redact(t));
  texts.push_back("Text: refund for my invoice please\nLabel:");
  for (const auto& text : texts) {
    if (r.may_detect(text)) continue;
    ++ruled_out;
    EXPECT_TRUE(r.detect(text).empty()) << text;
  }
  EXPECT_GT(ruled_out, 100u);  // the shortcut is taken, not merely safe
  EXPECT_FALSE(all_kinds().may_detect("Text: no personal data here\nLabel:"));
  EXPECT_TRUE(all_kinds().may_detect("Text: call 0207 946 0958\nLabel:"));
  EXPECT_TRUE(all_kinds({CustomPattern("ref", "%%-%%")}).may_detect("AB-CD"));
  EXPECT_FALSE(all_kinds({CustomPattern("ref", "EMP-#")}).may_detect("<EMAIL_1> emp"));
}

TEST(RedactionProperties, RedactingTwiceChangesNothing) {
  Redactor r = all_kinds({CustomPattern("employee_id", "EMP-#+")});
  for (const auto& text : random_texts(3000, 23)) {
    std::string once = r.redact(text);
    EXPECT_EQ(r.redact(once), once) << "input: " << text;
  }
}

TEST(RedactionProperties, DetectedSpansAreSortedDisjointAndInsideTheText) {
  Redactor r = all_kinds();
  for (const auto& text : random_texts(2000, 5)) {
    std::size_t last_end = 0;
    for (const auto& s : r.detect(text)) {
      EXPECT_LT(s.begin, s.end);
      EXPECT_LE(s.end, text.size());
      EXPECT_GE(s.begin, last_end);
      last_end = s.end;
    }
  }
}

TEST(RedactionFuzz, RandomBytesNeverCrashOrGrowWithoutBound) {
  Redactor r = all_kinds({CustomPattern("code", "?+-#+")});
  std::mt19937_64 rng(99);
  const std::string alphabet = "0123456789 -.:@+()/<>_abcXYZ\xc3\xa9\xef\xbc\x90";
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    std::size_t n = rng() % 300;
    for (std::size_t k = 0; k < n; ++k) text += alphabet[rng() % alphabet.size()];
    std::string out = r.redact(text);
    EXPECT_EQ(r.redact(out), out) << "input: " << text;
    for (const auto& span : r.detect(out)) ADD_FAILURE() << span.kind << " in " << out;
  }
}

// A request's map on the examples' map: the examples' values keep their placeholders, new ones
// are numbered after them, and only the new ones are the request's own.
TEST(PlaceholderMap, ALayeredMapContinuesItsBase) {
  PlaceholderMap base;
  EXPECT_EQ(base.placeholder("email", "a@example.com"), "<EMAIL_1>");
  PlaceholderMap request(&base);
  EXPECT_EQ(request.placeholder("email", "a@example.com"), "<EMAIL_1>");
  EXPECT_EQ(request.placeholder("email", "b@example.com"), "<EMAIL_2>");
  EXPECT_EQ(request.placeholder("phone", "+44 20 7946 0958"), "<PHONE_1>");
  std::vector<std::string> own;
  request.for_each_own_value([&](const std::string&, const std::string& v) { own.push_back(v); });
  EXPECT_EQ(own, (std::vector<std::string>{"b@example.com", "+44 20 7946 0958"}));
  EXPECT_EQ(request.counts(), (RedactionCounts{{"email", 2}, {"phone", 1}}));
  EXPECT_EQ(request.values().size(), 3u);
  EXPECT_EQ(base.counts(), (RedactionCounts{{"email", 1}}));  // the base is left alone
  Redactor r(RedactionRules{{"email"}, {}});
  EXPECT_EQ(r.redact("from a@example.com and c@example.com", request),
            "from <EMAIL_1> and <EMAIL_3>");
}

// A phone number or a card followed by another number after a space (an order or reference
// number) is replaced whole: the phone numbers had been sent as written, or cut by a card's
// Luhn window that began inside them ("+44 20 <CARD_1>"). A reference in a card's layout that
// fails Luhn stays as written.
TEST(Redactor, ReplacesAPhoneOrACardFollowedByAnotherNumber) {
  Redactor r = all_kinds();
  // Each text, and the number in it that must not go out in any part (its last group).
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"+1 415 555 2671 1234 5678 9012 3456", "2671"},
      {"415-555-2671 1234 5678 9012 3456", "2671"},
      {"0171 1234567 1234 5678 9012 3456", "1234567"},
      {"+49 30 1234567 5500 0000 0000 0005", "1234567"},
      {"+1-415-555-2671 1234-5678-9012-3456", "2671"},
      {"+44 20 7946 0958 1234-5678-9012-3456", "+44 20"},
      {"(555) 123-4567 1234 5678 9012 3456", "(555) 123"},
      {"+1 415 555 2671 4111 1111 1111 1112", "+1 415"},
      {"4111 1111 1111 1111 1234 5678 9012 3456", "4111"}};
  for (const auto& [text, secret] : cases) {
    const std::string out = r.redact("call me on " + text);
    EXPECT_EQ(out.find(secret), std::string::npos) << text << " -> " << out;
  }
  EXPECT_EQ(r.redact("card 4111 1111 1111 1111 ref 1234 5678 9012 3456"),
            "card <CARD_1> ref 1234 5678 9012 3456");
  EXPECT_EQ(r.redact("my +1 415 555 2671 1234 5678 9012 3456"), "my <PHONE_1> <PHONE_2>");
  EXPECT_EQ(r.redact("my +44 20 7946 0958 1234-5678-9012-3456"), "my <PHONE_1> <CARD_1>");
  EXPECT_EQ(r.redact("ref 4539 2914 1777 6315 is my invoice"),
            "ref 4539 2914 1777 6315 is my invoice");
}

}  // namespace
}  // namespace tunecase
