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

TEST(IsValidUtf8, RejectsBrokenSequences) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("naïve ☃"));
  EXPECT_FALSE(is_valid_utf8("bad \xff byte"));
  EXPECT_FALSE(is_valid_utf8("cut \xe2\x98"));
}

}  // namespace
}  // namespace tunecase
