// valid_utf8: what an upstream sent, made storable (PostgreSQL refuses malformed UTF-8 and
// libpq cuts a value at a NUL).

#include <gtest/gtest.h>

#include "tunecase/data/utf8_check.h"

namespace tunecase {
namespace {

TEST(ValidUtf8, LeavesWellFormedTextAlone) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC"),
            "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC");
  EXPECT_EQ(valid_utf8(""), "");
}

TEST(ValidUtf8, ReplacesEachBadByteAndEachNul) {
  // An excerpt cut at a byte count, inside a three-byte character: its two bytes become two
  // replacement characters.
  std::string cut = std::string("\xE6\x97\xA5\xE6\x9C\xAC").substr(0, 5);
  EXPECT_EQ(valid_utf8(cut), "\xE6\x97\xA5\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(valid_utf8("caf\xE9!"), "caf\xEF\xBF\xBD!");  // Windows-1252 e-acute
  EXPECT_EQ(valid_utf8(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_FALSE(invalid_utf8_offset(valid_utf8("\xFF\xFE\xC0\x80 \xED\xA0\x80")));
}

// Terminal columns, for the eval table: CJK takes two a character, a combining mark none.
TEST(DisplayWidth, CountsWideCharactersTwiceAndMarksNotAtAll) {
  EXPECT_EQ(display_width("local-linear"), 12u);
  EXPECT_EQ(display_width("线性"), 4u);
  EXPECT_EQ(display_width("e\u0301"), 1u);  // e + combining acute
  EXPECT_EQ(display_width("\xFF"), 1u);     // not UTF-8: a column a byte
}

}  // namespace
}  // namespace tunecase
