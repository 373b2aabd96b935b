// A semicolon export, a pipe file, a configured delimiter, and a Windows-1252 file: what a
// spreadsheet writes in much of Europe must read without a setting, and an encoding mistake must
// be named with its fix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data_test_support.h"
#include "tunecase/core/error.h"
#include "tunecase/data/csv_reader.h"
#include "tunecase/data/reader.h"
#include "tunecase/data/utf8_check.h"

namespace tunecase {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

std::string error_of(const std::filesystem::path& file, const ReadOptions& options) {
  try {
    read_examples(file, options);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

ReadOptions category_options() {
  ReadOptions o;
  o.label_column = "category";
  return o;
}

TEST(Delimiter, SemicolonFileIsSniffedFromTheHeader) {
  TempDir dir;
  auto file = dir.write("export.csv",
                        "text;category\n\"Refund; please\";billing\nwhere is my parcel;shipping\n");
  ReadResult r = read_examples(file, category_options());
  EXPECT_EQ(r.delimiter, ';');
  ASSERT_EQ(r.labelled.size(), 2u);
  EXPECT_EQ(r.labelled[0].text, "Refund; please");
  EXPECT_EQ(r.labelled[1].label, "shipping");
}

TEST(Delimiter, PipeAndTabAreSniffedToo) {
  TempDir dir;
  ReadResult pipe =
      read_examples(dir.write("p.csv", "text|category\nhello, world|greet\n"), category_options());
  EXPECT_EQ(pipe.delimiter, '|');
  EXPECT_EQ(pipe.labelled.at(0).text, "hello, world");
  ReadResult tab =
      read_examples(dir.write("t.csv", "text\tcategory\nhi; there\tgreet\n"), category_options());
  EXPECT_EQ(tab.delimiter, '\t');
  EXPECT_EQ(tab.labelled.at(0).text, "hi; there");
}

TEST(Delimiter, CommaStaysTheDefaultForOneColumnAndTies) {
  TempDir dir;
  EXPECT_EQ(sniff_delimiter(dir.write("one.csv", "text\nx\n")).delimiter, ',');
  EXPECT_EQ(sniff_delimiter(dir.write("tie.csv", "a,b;c\n")).delimiter, ',');
  // Delimiters inside a quoted header name do not count.
  EXPECT_EQ(sniff_delimiter(dir.write("q.csv", "\"a;b;c\",label\n")).delimiter, ',');
}

TEST(Delimiter, ConfiguredDelimiterWinsAndTheMessageSaysWhatWasSeen) {
  TempDir dir;
  auto file = dir.write("export.csv", "text;category\nhello;greet\n");
  ReadOptions options = category_options();
  options.delimiter = ',';
  std::string message = error_of(file, options);
  EXPECT_THAT(message, HasSubstr("no column \"text\""));
  EXPECT_THAT(message, HasSubstr("the columns are: text;category"));
  EXPECT_THAT(message, HasSubstr("split at ','"));
  EXPECT_THAT(message, HasSubstr("[data] delimiter"));
}

TEST(Delimiter, SniffedDelimiterIsNamedWhenAColumnIsMissing) {
  TempDir dir;
  auto file = dir.write("export.csv", "body;category\nhello;greet\n");
  std::string message = error_of(file, category_options());
  EXPECT_THAT(message, HasSubstr("sniffed from the header: the header has 0 ',', 1 ';'"));
}

TEST(Encoding, Windows1252FileIsNamedWithTheIconvFix) {
  TempDir dir;
  // "café" and "naïve" as Windows-1252 writes them: 0xE9 and 0xEF, single bytes.
  auto file = dir.write("latin1.csv", "text,category\nun caf\xE9 na\xEFve,food\n");
  std::string message = error_of(file, category_options());
  EXPECT_THAT(message, HasSubstr("latin1.csv:2: invalid UTF-8 at byte 7 of line 2"));
  EXPECT_THAT(message, HasSubstr("0xE9 is \"é\" in Windows-1252"));
  EXPECT_THAT(message, HasSubstr("iconv -f WINDOWS-1252 -t UTF-8"));
}

TEST(Encoding, BrokenUtf8IsNotCalledWindows1252) {
  EXPECT_TRUE(looks_like_windows_1252("caf\xE9"));
  EXPECT_FALSE(looks_like_windows_1252("caf\xC3\xA9 and \xE9"));  // valid "é" plus a stray byte
  EXPECT_FALSE(looks_like_windows_1252("plain ascii"));
  std::string mixed = "caf\xC3\xA9 \xFF";
  std::string message = invalid_utf8_problem(mixed, 6, "of line 1");
  EXPECT_THAT(message, ::testing::Not(HasSubstr("looks Windows-1252")));
  EXPECT_THAT(message, HasSubstr("save the file as UTF-8"));
}

TEST(Labels, SurroundingWhitespaceIsTrimmedAndCounted) {
  TempDir dir;
  auto file = dir.write("l.csv", "text,category\na,billing \nb, billing\nc,billing\n");
  ReadResult r = read_examples(file, category_options());
  EXPECT_EQ(r.labels_trimmed, 2u);
  for (const auto& e : r.labelled) EXPECT_EQ(e.label, "billing");
}

}  // namespace
}  // namespace tunecase
