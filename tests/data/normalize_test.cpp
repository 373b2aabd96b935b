#include <gtest/gtest.h>

#include "tunecase/data/normalize.h"

namespace tunecase {
namespace {

TEST(NormalizeText, FoldsCaseAndCollapsesWhitespace) {
  EXPECT_EQ(normalize_text("  Where IS\tmy\n\nParcel?  "), "where is my parcel?");
  EXPECT_EQ(normalize_text(""), "");
  EXPECT_EQ(normalize_text(" \t\n"), "");
}

TEST(NormalizeText, AppliesNfkcAndUnicodeCaseFolding) {
  EXPECT_EQ(normalize_text("ＲＥＦＵＮＤ"), "refund");           // full-width letters
  EXPECT_EQ(normalize_text("Straße"), "strasse");                // case folding, not lowering
  EXPECT_EQ(normalize_text("Cafe\u0301  Crème"), "café crème");  // composed
}

TEST(NormalizeText, AsciiFastPathAgreesWithTheUnicodePath) {
  // The same ASCII text with one non-ASCII character appended takes the utf8proc path; the
  // ASCII part must come out the same either way.
  for (std::string text : {"Hello  World", "A\tB\r\nC", "  MiXeD 123 !?  ", "x"}) {
    std::string ascii = normalize_text(text);
    std::string unicode = normalize_text(text + " é");
    EXPECT_EQ(unicode, ascii + " é") << text;
  }
}

// Reports cut long texts: never inside a character, nor between a letter and its combining
// accent ("überfä" in NFD had read "überfa"), nor inside an emoji sequence.
TEST(GraphemeCut, CutsBetweenCharactersAsAReaderSeesThem) {
  EXPECT_EQ(grapheme_cut("abc", 10), 3u);
  EXPECT_EQ(grapheme_cut("abcdef", 4), 4u);
  const std::string nfd = "abc a\u0308x";  // "ä" as "a" + U+0308 (2 bytes) at bytes 4-6
  EXPECT_EQ(grapheme_cut(nfd, 5), 4u);     // not between "a" and its diaeresis
  EXPECT_EQ(grapheme_cut(nfd, 6), 4u);     // not inside the diaeresis either
  EXPECT_EQ(grapheme_cut(nfd, 7), 7u);
  const std::string e = "\u00e9\u00e9";  // two 2-byte characters
  EXPECT_EQ(grapheme_cut(e, 3), 2u);
  const std::string family = "a\U0001F468\u200D\U0001F469";  // one emoji sequence after "a"
  EXPECT_EQ(grapheme_cut(family, 8), 1u);
  EXPECT_EQ(grapheme_cut("\xff\xfe"
                         "ab",
                         3),
            3u);  // not UTF-8: any byte boundary
}

// A label written decomposed is the same text as its composed spelling; NFC makes them the same
// bytes and changes nothing else (case, full-width forms and spaces stay).
TEST(NfcText, ComposesAndChangesNothingElse) {
  EXPECT_EQ(nfc_text("Ku\u0308ndigung"), "K\u00fcndigung");
  EXPECT_EQ(nfc_text("\u30ed\u30af\u3099"), "\u30ed\u30b0");  // katakana + dakuten
  EXPECT_EQ(nfc_text("\uff21 B  c"), "\uff21 B  c");
  EXPECT_EQ(nfc_text("plain"), "plain");
}

TEST(IsValidUtf8, RejectsBrokenSequences) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("naïve ☃"));
  EXPECT_FALSE(is_valid_utf8("bad \xff byte"));
  EXPECT_FALSE(is_valid_utf8("cut \xe2\x98"));
}

}  // namespace
}  // namespace tunecase

namespace tunecase {
namespace {

// One category written otherwise has one key: separators of any kind (an editor's en dash or
// non-breaking hyphen among them), case and Unicode form; other letters keep labels apart.
TEST(LabelKey, SeparatorsCaseAndFormAreOneCategory) {
  const std::string key = label_key("bug_report");
  for (const char* twin :
       {"bug-report",      "Bug Report",      "bug.report",      "bug/report",
        "bug:report",      "bug+report",      "bug\treport",     "bug\u2013report",
        "bug\u2011report", "bug\u00a0report", "BUG__REPORT",     "bugreport",
        "\uff42ug_report", "bug\u2212report", "bug\\report",     "bug\u00b7report",
        "bug,report",      "bug;report",      "bug\u2044report", "bug\u2215report",
        "bug|report",      "bug\u2022report"})
    EXPECT_EQ(label_key(twin), key) << twin;
  EXPECT_NE(label_key("bug_reports"), key);
  // Symbols that are part of a name keep names apart.
  for (auto [a, b] : {std::pair{"C++", "C"}, std::pair{"C#", "C"}, std::pair{"C#", "C++"},
                      std::pair{"Q&A", "QA"}, std::pair{"A+", "A"}, std::pair{"F#", "F"}})
    EXPECT_NE(label_key(a), label_key(b)) << a << " / " << b;
  EXPECT_NE(label_key("billing"), label_key("biling"));
}

}  // namespace
}  // namespace tunecase
