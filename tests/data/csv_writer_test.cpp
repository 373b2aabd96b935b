#include "tunecase/data/csv_writer.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "data_test_support.h"
#include "tunecase/core/error.h"
#include "tunecase/data/reader.h"

namespace tunecase {
namespace {

TEST(CsvField, PlainTextIsUnquoted) {
  EXPECT_EQ(csv_field("hello world"), "hello world");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("héllo"), "héllo");
}

TEST(CsvField, SpecialCharactersAreQuoted) {
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("line1\nline2"), "\"line1\nline2\"");
  EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(csv_field(" padded "), "\" padded \"");
  EXPECT_EQ(csv_field("\""), "\"\"\"\"");
}

TEST(WriteCsv, WritesHeaderAndCrlfRows) {
  testing::TempDir dir;
  auto path = dir.path() / "out.csv";
  write_csv(path, {"text", "label"}, {{"a,b", "x"}, {"plain", "y"}});
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  EXPECT_EQ(bytes.str(), "text,label\r\n\"a,b\",x\r\nplain,y\r\n");
}

TEST(WriteCsv, ReaderGetsBackEveryFieldExactly) {
  testing::TempDir dir;
  auto path = dir.path() / "round.csv";
  std::vector<std::vector<std::string>> rows = {{"1", "comma, inside", "billing"},
                                                {"2", "quote \" inside", "login"},
                                                {"3", "two\nlines", "refund"},
                                                {"4", "ünïcödé ✓", "shipping"}};
  write_csv(path, {"id", "text", "category"}, rows);
  ReadOptions options;
  options.label_column = "category";
  options.id_column = "id";
  auto result = read_examples(path, options);
  ASSERT_EQ(result.labelled.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(result.labelled[i].id, rows[i][0]);
    EXPECT_EQ(result.labelled[i].text, rows[i][1]);
    EXPECT_EQ(result.labelled[i].label, rows[i][2]);
  }
}

TEST(WriteCsv, AFolderIsAUserErrorAskingForAFileName) {
  testing::TempDir dir;
  try {
    write_csv(dir.path(), {"a"}, {});
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("it is a folder; give a file name"), std::string::npos)
        << e.what();
  }
}

TEST(WriteCsv, UnwritablePathIsAUserErrorNamingIt) {
  testing::TempDir dir;
  auto path = dir.path() / "missing-folder" / "out.csv";
  try {
    write_csv(path, {"a"}, {});
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("missing-folder"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tunecase
