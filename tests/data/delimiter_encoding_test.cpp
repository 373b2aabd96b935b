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

using ::testing::AllOf;
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

// Excel writes "sep=;" as the first line of a CSV for a European locale: the line names the
// delimiter and the header follows (it had been read as the header, one column "sep=").
TEST(Delimiter, ExcelsSepLineNamesTheDelimiterAndIsSkipped) {
  TempDir dir;
  auto file = dir.write("sep.csv", "\xEF\xBB\xBFsep=;\r\ntext;category\r\nun, deux;billing\r\n");
  ReadResult r = read_examples(file, category_options());
  ASSERT_EQ(r.labelled.size(), 1u);
  EXPECT_EQ(r.labelled[0].text, "un, deux");
  EXPECT_EQ(r.labelled[0].line, 3u);
  EXPECT_EQ(r.delimiter, ';');
  // A delimiter set in the config gives way to the one the file declares.
  ReadOptions comma = category_options();
  comma.delimiter = ',';
  EXPECT_EQ(read_examples(file, comma).labelled.size(), 1u);
  EXPECT_EQ(excel_separator_line("\"sep=|\""), '|');
  EXPECT_FALSE(excel_separator_line("sep=;;"));
  EXPECT_FALSE(excel_separator_line("text,label"));
}

TEST(Encoding, Windows1252FileIsNamedWithTheIconvFix) {
  TempDir dir;
  // "café" and "naïve" as Windows-1252 writes them: 0xE9 and 0xEF, single bytes.
  auto file = dir.write("latin1.csv", "text,category\nun caf\xE9 na\xEFve,food\n");
  std::string message = error_of(file, category_options());
  EXPECT_THAT(message, HasSubstr("latin1.csv:2: invalid UTF-8 at byte 7 of line 2"));
  EXPECT_THAT(message, HasSubstr("0xE9 is \"é\" in Windows-1252"));
  EXPECT_THAT(message, HasSubstr("iconv -f WINDOWS-1252 -t UTF-8"));
  // The command names the file, and its output is a file tunecase reads (".csv-utf8" was not).
  EXPECT_THAT(message, HasSubstr("latin1.csv > "));
  EXPECT_THAT(message, HasSubstr("latin1-utf8.csv`"));
}

// Cyrillic in CP1251, Chinese in GB18030, Japanese in Shift_JIS: whole words of high bytes are
// another legacy encoding, not Windows-1252 (whose conversion "succeeds" and garbles every
// label) nor UTF-8 with a damaged byte (GB18030's "\xD3\xD0" happens to be well-formed UTF-8).
TEST(Encoding, WordsOfHighBytesAreAnotherLegacyEncoding) {
  for (const std::string line :
       {std::string("text,label\n\xCD\xE5 \xEF\xF0\xE8\xF8\xB8\xEB \xF1\xF7\xB8\xF2 \xE7\xE0 "
                    "\xE4\xEE\xF1\xF2\xE0\xE2\xEA\xF3,billing"),
        std::string("text,label\n\xCE\xD2\xB5\xC4\xB6\xA9\xB5\xA5\xC3\xBB\xD3\xD0\xCA\xD5\xB5"
                    "\xBD,billing"),
        std::string("text,label\n\x92\x8D\x95\xB6\x82\xAA\x93\xCD\x82\xAB\x82\xDC\x82\xB9\x82"
                    "\xF1,billing")}) {
    TempDir dir;
    std::string message = error_of(dir.write("legacy.csv", line + "\n"), ReadOptions{});
    EXPECT_THAT(message, HasSubstr("another legacy encoding")) << message;
    EXPECT_THAT(message, HasSubstr("CP1251 (Cyrillic)")) << message;
    EXPECT_THAT(message, ::testing::Not(HasSubstr("WINDOWS-1252 -t"))) << message;
    EXPECT_THAT(message, ::testing::Not(HasSubstr("damaged byte"))) << message;
  }
}

TEST(Encoding, TheConversionCommandWritesAFileTunecaseReads) {
  EXPECT_EQ(to_utf8_command("WINDOWS-1252", "tickets.csv"),
            "iconv -f WINDOWS-1252 -t UTF-8 tickets.csv > tickets-utf8.csv");
  // Excel's "Unicode Text" is a tab-separated .txt; names with spaces or quotes are quoted.
  EXPECT_EQ(to_utf8_command("UTF-16", "exports/Tickets Q3.txt"),
            "iconv -f UTF-16 -t UTF-8 'exports/Tickets Q3.txt' > 'exports/Tickets Q3-utf8.tsv'");
  EXPECT_EQ(to_utf8_command("UTF-16", "it's.TSV"),
            "iconv -f UTF-16 -t UTF-8 'it'\\''s.TSV' > 'it'\\''s-utf8.TSV'");
  EXPECT_EQ(to_utf8_command("ENCODING", ""), "iconv -f ENCODING -t UTF-8 FILE.csv > FILE-utf8.csv");
}

TEST(Encoding, BrokenUtf8IsNotCalledWindows1252) {
  EXPECT_TRUE(looks_like_windows_1252("caf\xE9"));
  EXPECT_FALSE(looks_like_windows_1252("caf\xC3\xA9 and \xE9"));  // valid "é" plus a stray byte
  EXPECT_FALSE(looks_like_windows_1252("plain ascii"));
  std::string mixed = "caf\xC3\xA9 \xFF";
  std::string message = invalid_utf8_problem(mixed, 6, "of line 1");
  EXPECT_THAT(message, ::testing::Not(HasSubstr("looks Windows-1252")));
  // Converting the whole file would garble its valid "é": the byte is to be mended instead.
  EXPECT_THAT(message, HasSubstr("byte 0xFF, after \"café \""));
  EXPECT_THAT(message, HasSubstr("the file is UTF-8 with a damaged byte here"));
  EXPECT_THAT(message, HasSubstr("would garble its other accented letters"));
  // A line with no UTF-8 and a byte Windows-1252 leaves undefined (0x81): neither encoding.
  std::string other = "abc \x81\xE9";
  EXPECT_THAT(invalid_utf8_problem(other, 4, "of line 2"),
              AllOf(HasSubstr("neither UTF-8 nor Windows-1252"), HasSubstr("file -i FILE")));
}

// A stray byte on an ASCII line of a file whose earlier lines are UTF-8 is damage too, not a
// Windows-1252 file to convert (iconv would garble every "ü" above it).
TEST(Encoding, AStrayByteAfterUtf8LinesIsDamageNotAnotherEncoding) {
  TempDir dir;
  auto file = dir.write("stray.csv",
                        "text,category\nZ\xC3\xBCrich office,admin\nplain line \xE9 here,admin\n");
  std::string message = error_of(file, category_options());
  EXPECT_THAT(message, HasSubstr("stray.csv:3: invalid UTF-8 at byte 12 of line 3"));
  EXPECT_THAT(message, HasSubstr("other lines of the file are UTF-8"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("looks Windows-1252")));
  // The same with the damaged line first: the lines after it are read ahead (it had been called
  // Windows-1252, and converting garbled every later "à").
  auto first = dir.write("first.csv",
                         "text,category\nplain line \xE0 here,admin\nje me connecte \xC3\xA0 mon "
                         "compte,login\n");
  message = error_of(first, category_options());
  EXPECT_THAT(message, HasSubstr("other lines of the file are UTF-8")) << message;
  EXPECT_THAT(message, ::testing::Not(HasSubstr("looks Windows-1252"))) << message;
  // A real Windows-1252 file (no UTF-8 anywhere) still gets the conversion.
  auto latin = dir.write("latin.csv", "text,category\nplain line \xE0 here,admin\ncaf\xE9,food\n");
  EXPECT_THAT(error_of(latin, category_options()), HasSubstr("looks Windows-1252"));
}

TEST(Labels, SurroundingWhitespaceIsTrimmedAndCounted) {
  TempDir dir;
  auto file = dir.write("l.csv", "text,category\na,billing \nb, billing\nc,billing\n");
  ReadResult r = read_examples(file, category_options());
  EXPECT_EQ(r.labels_trimmed, 2u);
  EXPECT_EQ(r.trimmed_label_rows.at("billing"), 2u);
  for (const auto& e : r.labelled) EXPECT_EQ(e.label, "billing");
  // A padded label on a row skipped as invalid is in no split: not counted as trimmed (it had
  // made more rows "written with whitespace" than the label kept).
  ReadOptions only_billing = category_options();
  only_billing.allowed_labels = {"billing"};
  only_billing.skip_invalid = true;
  auto skipped = dir.write("s.csv", "text,category\na, other \nb,billing \nc,billing\n");
  ReadResult s = read_examples(skipped, only_billing);
  EXPECT_EQ(s.invalid_skipped, 1u);
  EXPECT_EQ(s.labels_trimmed, 1u);
  EXPECT_EQ(s.trimmed_label_rows.count("other"), 0u);
}

// A text of Unicode blanks only (ideographic space, no-break space, zero-width space) shows
// nothing: it is an empty text, as one of ASCII spaces is, not a training row.
TEST(Texts, UnicodeBlanksAloneAreAnEmptyText) {
  TempDir dir;
  auto file =
      dir.write("b.csv",
                "text,category\n\xE3\x80\x80,a\n\xC2\xA0,a\n\xE2\x80\x8B\xE2\x81\xA0,a\n \t ,a\n"
                "real words,a\n");
  ReadResult r = read_examples(file, category_options());
  EXPECT_EQ(r.empty_text_skipped, 4u);
  ASSERT_EQ(r.labelled.size(), 1u);
  EXPECT_EQ(r.labelled[0].text, "real words");
}

}  // namespace
}  // namespace tunecase
