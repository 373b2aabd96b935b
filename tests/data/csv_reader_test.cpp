#include "tunecase/data/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data_test_support.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

using testing::dataset;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;

std::vector<CsvRecord> read_all(CsvReader& reader) {
  std::vector<CsvRecord> records;
  CsvRecord record;
  while (reader.next(record)) records.push_back(record);
  return records;
}

TEST(CsvReader, ParsesQuotedCommasEscapedQuotesAndEmbeddedNewlines) {
  CsvReader reader(dataset("quoted.csv"));
  EXPECT_THAT(reader.header(), ElementsAre("id", "text", "label"));
  auto records = read_all(reader);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[0].fields, ElementsAre("t1", "Refund, please: order 12", "refund"));
  EXPECT_THAT(records[1].fields, ElementsAre("t2", "She said \"hi\" twice", "login"));
  EXPECT_THAT(records[2].fields, ElementsAre("t3", "first line\nsecond line", "billing"));
  EXPECT_THAT(records[3].fields, ElementsAre("t4", "plain text", "billing"));
}

TEST(CsvReader, RecordLineIsWhereTheRecordStarts) {
  CsvReader reader(dataset("quoted.csv"));
  auto records = read_all(reader);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].line, 2u);
  EXPECT_EQ(records[2].line, 4u);
  EXPECT_EQ(records[3].line, 6u);  // the embedded newline took line 5
}

TEST(CsvReader, StripsByteOrderMarkAndCarriageReturns) {
  CsvReader reader(dataset("crlf_bom.csv"));
  EXPECT_THAT(reader.header(), ElementsAre("text", "label"));
  auto records = read_all(reader);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].fields, ElementsAre("Cannot log in\nafter reset", "login"));
  EXPECT_THAT(records[1].fields, ElementsAre("Charged twice", "billing"));
  EXPECT_EQ(records[1].line, 4u);
}

TEST(CsvReader, ReadsTabDelimitedWithQuotedTabs) {
  CsvReader reader(dataset("tickets.tsv"), '\t');
  EXPECT_THAT(reader.header(), ElementsAre("text", "label", "created_at"));
  auto records = read_all(reader);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].fields, ElementsAre("tab\tinside quotes", "bug", "2024-01-02"));
}

TEST(CsvReader, KeepsEmptyFieldsAndSkipsBlankLines) {
  TempDir dir;
  auto file = dir.write("empty.csv", "a,b,c\n,,\n\n\"\",x,\n");
  CsvReader reader(file);
  auto records = read_all(reader);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].fields, ElementsAre("", "", ""));
  EXPECT_THAT(records[1].fields, ElementsAre("", "x", ""));
  EXPECT_EQ(records[1].line, 4u);
}

TEST(CsvReader, FlagsRaggedRowAndStaysInStep) {
  CsvReader reader(dataset("ragged.csv"));
  auto records = read_all(reader);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(records[0].problem.empty());
  EXPECT_THAT(records[1].problem, HasSubstr("row has 3 fields, header has 2"));
  EXPECT_EQ(records[1].line, 3u);
  EXPECT_TRUE(records[2].problem.empty());
  EXPECT_THAT(records[2].fields, ElementsAre("another fine row", "login"));
}

TEST(CsvReader, FlagsInvalidUtf8WithByteOffset) {
  CsvReader reader(dataset("bad_utf8.csv"));
  auto records = read_all(reader);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[1].problem, HasSubstr("invalid UTF-8 at byte 4 of line 3"));
}

TEST(CsvReader, UnterminatedQuoteNamesTheLineWhereItOpened) {
  CsvReader reader(dataset("unterminated.csv"));
  CsvRecord record;
  ASSERT_TRUE(reader.next(record));
  try {
    reader.next(record);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unterminated.csv:3:"));
    EXPECT_THAT(e.what(), HasSubstr("never closed"));
  }
}

TEST(CsvReader, EmptyFileIsAnError) {
  TempDir dir;
  auto file = dir.write("empty.csv", "");
  try {
    CsvReader reader(file);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("empty.csv"));
    EXPECT_THAT(e.what(), HasSubstr("header"));
  }
}

// What Excel's "Unicode Text" and old Mac software save: each named, with the command that
// converts it, instead of a Windows-1252 guess or a header holding the whole file.
TEST(CsvReader, UtfSixteenAndBareCarriageReturnsSayHowToConvert) {
  TempDir dir;
  auto says = [](const std::filesystem::path& file, const std::string& what) {
    try {
      CsvReader reader(file);
      ADD_FAILURE() << file << ": expected UserError";
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), HasSubstr(what)) << file;
      // The conversion command names the file twice (a test's folder is a long path).
      EXPECT_LT(std::string(e.what()).size(), 400u + 2 * file.string().size()) << e.what();
    }
  };
  std::string little = "\xFF\xFE";
  for (char c : std::string("text,label\nhello,a\n")) little += std::string{c, '\0'};
  says(dir.write("bom.csv", little), "iconv -f UTF-16 -t UTF-8");
  says(dir.write("bare.csv", little.substr(2)), "NUL bytes");
  std::string cr = "text,label\r";
  for (int i = 0; i < 600; ++i) cr += "row " + std::to_string(i) + ",l\r";
  says(dir.write("cr.csv", cr), "bare carriage return");
  // Windows line endings stay fine.
  CsvReader crlf(dir.write("crlf.csv", "text,label\r\nhello,a\r\n"));
  EXPECT_EQ(crlf.header(), (std::vector<std::string>{"text", "label"}));
}

}  // namespace
}  // namespace tunecase
