#include "tunecase/data/reader.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data_test_support.h"
#include "tunecase/core/error.h"
#include "tunecase/core/suggest.h"

namespace tunecase {
namespace {

using ::testing::AllOf;
using testing::dataset;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

// The UserError message read_examples throws, or "" when it does not throw.
std::string error_of(const std::filesystem::path& file, const ReadOptions& options = {}) {
  try {
    read_examples(file, options);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(ReadExamples, CsvWithIdColumnKeepsTextsAsWritten) {
  ReadOptions options;
  options.id_column = "id";
  ReadResult r = read_examples(dataset("quoted.csv"), options);
  EXPECT_EQ(r.rows, 4u);
  ASSERT_EQ(r.labelled.size(), 4u);
  EXPECT_EQ(r.labelled[0].id, "t1");
  EXPECT_EQ(r.labelled[0].text, "Refund, please: order 12");
  EXPECT_EQ(r.labelled[0].label, "refund");
  EXPECT_EQ(r.labelled[2].text, "first line\nsecond line");
  EXPECT_EQ(r.labelled[3].line, 6u);
}

TEST(ReadExamples, IdDefaultsToFileNameAndLine) {
  ReadResult r = read_examples(dataset("crlf_bom.csv"), {});
  ASSERT_EQ(r.labelled.size(), 2u);
  EXPECT_EQ(r.labelled[0].id, "crlf_bom.csv:2");
  EXPECT_EQ(r.labelled[1].id, "crlf_bom.csv:4");
}

TEST(ReadExamples, TsvReadsTimeColumn) {
  ReadOptions options;
  options.time_column = "created_at";
  ReadResult r = read_examples(dataset("tickets.tsv"), options);
  ASSERT_EQ(r.labelled.size(), 2u);
  EXPECT_EQ(r.labelled[0].text, "tab\tinside quotes");
  EXPECT_EQ(r.labelled[1].time, "2024-01-01");
}

TEST(ReadExamples, AnUnreadableTimeNamesItsLineOrIsSkipped) {
  TempDir dir;
  auto file =
      dir.write("times.csv", "text,label,at\na,x,2024-03-01\nb,y,03/02/2024\nc,x,1709251200\n");
  ReadOptions options;
  options.time_column = "at";
  EXPECT_THAT(error_of(file, options),
              AllOf(HasSubstr("times.csv:3: time '03/02/2024' in column \"at\""),
                    HasSubstr("ISO 8601"), HasSubstr("--skip-invalid")));
  options.skip_invalid = true;
  ReadResult r = read_examples(file, options);
  EXPECT_EQ(r.labelled.size(), 2u);
  EXPECT_EQ(r.invalid_skipped, 1u);
}

TEST(ReadExamples, JsonlSkipsBlankLinesAndKeepsNullLabelsApart) {
  ReadOptions options;
  options.id_column = "id";
  ReadResult r = read_examples(dataset("tickets.jsonl"), options);
  EXPECT_EQ(r.rows, 4u);
  ASSERT_EQ(r.labelled.size(), 3u);
  EXPECT_EQ(r.labelled[0].id, "17");  // numbers are written out
  EXPECT_EQ(r.labelled[0].line, 1u);
  EXPECT_EQ(r.labelled[1].text, "Card declined");
  EXPECT_EQ(r.labelled[1].line, 4u);
  EXPECT_EQ(r.labelled[2].label, "3");
  ASSERT_EQ(r.unlabelled.size(), 1u);
  EXPECT_EQ(r.unlabelled[0].id, "a3");
}

TEST(ReadExamples, CountsEmptyTextAndKeepsUnlabelledApart) {
  ReadResult r = read_examples(dataset("empty_and_unlabelled.csv"), {});
  EXPECT_EQ(r.rows, 5u);
  EXPECT_EQ(r.empty_text_skipped, 2u);
  ASSERT_EQ(r.labelled.size(), 2u);
  EXPECT_EQ(r.labelled[1].label, "login");  // surrounding spaces trimmed
  ASSERT_EQ(r.unlabelled.size(), 1u);
  EXPECT_EQ(r.unlabelled[0].text, "no label yet");
  EXPECT_EQ(r.invalid_skipped, 0u);
}

TEST(ReadExamples, AFolderWithoutAnExtensionIsNamedAFolder) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "tickets");
  try {
    read_examples(dir.path() / "tickets", {});
    FAIL() << "a folder was read";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("is a folder, not a data file"), std::string::npos)
        << e.what();
  }
}

TEST(ReadExamples, RaggedRowNamesFileLineAndRemedy) {
  EXPECT_THAT(error_of(dataset("ragged.csv")),
              AllOf(HasSubstr("ragged.csv:3: row has 3 fields, header has 2"),
                    HasSubstr("quote fields that contain commas"), HasSubstr("--skip-invalid")));
}

// Too few fields is not an unquoted comma: the remedy names a missing field instead.
TEST(ReadExamples, AShortRowNamesAMissingField) {
  TempDir dir;
  auto file = dir.write("short.csv", "text,label,channel\nhello,a,web\nonly a text,b\n");
  EXPECT_THAT(error_of(file),
              AllOf(HasSubstr("short.csv:3: row has 2 fields, header has 3; a field is missing"),
                    Not(HasSubstr("quote fields"))));
}

TEST(ReadExamples, UnterminatedQuoteIsAnErrorEvenWhenSkipping) {
  ReadOptions options;
  options.skip_invalid = true;
  EXPECT_THAT(error_of(dataset("unterminated.csv"), options),
              HasSubstr("unterminated.csv:3: a quoted field opened on this line is never closed"));
}

// A text that starts with a quote mark opens a quoted field that the next quote closes, lines
// later: the rows between read as one text with the right number of fields.
std::string stray_quote_file() {
  std::string csv = "text,label\n";
  for (int i = 1; i <= 12; ++i) {
    std::string text = fmt::format("ticket {} about my bill", i);
    if (i == 3) text = "\"Urgent: " + text;  // a quote mark that opens nothing meant
    if (i == 9) text = "the app said \"error";
    csv += fmt::format("{},{}\n", text, i % 2 == 0 ? "billing" : "tech");
  }
  return csv;
}

TEST(ReadExamples, StrayQuoteThatSwallowsRowsIsAnErrorNamingTheLines) {
  TempDir dir;
  auto file = dir.write("stray.csv", stray_quote_file());
  // Line 4 opens a quoted field that the quote on line 10 closes: lines 4-10 read as one row.
  EXPECT_THAT(error_of(file),
              AllOf(HasSubstr("stray.csv:4: a quoted field opened on this line closes only on "
                              "line 10, so the 7 lines from here read as one row"),
                    HasSubstr("6 of them look like rows of their own (lines 4, 5, ...)"),
                    HasSubstr("on line 10 text follows the quote that closes it"),
                    HasSubstr("--skip-invalid")));
  ReadOptions options;
  options.skip_invalid = true;
  ReadResult r = read_examples(file, options);
  EXPECT_EQ(r.invalid_skipped, 1u);
  EXPECT_EQ(r.invalid_lines_skipped, 6u);  // lines 5-10, beyond the row's first
  ASSERT_EQ(r.labelled.size(), 5u);        // lines 2, 3, 11, 12, 13
  for (const Example& e : r.labelled) EXPECT_NE(e.line, 4u);
  EXPECT_EQ(r.labelled[2].line, 11u);
}

// Two Excel "CSV UTF-8" exports joined: each starts with a byte-order mark, and the second
// header, behind its mark, is still the header repeated (it had become the label "category").
TEST(ReadExamples, AHeaderRepeatedBehindAByteOrderMarkIsMalformed) {
  TempDir dir;
  auto file = dir.write("excel.csv",
                        "\xEF\xBB\xBFtext;label\r\nwhere is my parcel;shipping\r\n"
                        "\xEF\xBB\xBFtext;label\r\nrefund me;billing\r\n"
                        "\xEF\xBB\xBF"
                        "charged twice;billing\r\n"
                        "\xEF\xBB\xBF\r\n");  // an export with no rows joined in: blank
  EXPECT_THAT(error_of(file), HasSubstr("excel.csv:3: this row repeats the header line"));
  ReadOptions options;
  options.skip_invalid = true;
  ReadResult r = read_examples(file, options);
  EXPECT_EQ(r.invalid_skipped, 1u);
  ASSERT_EQ(r.labelled.size(), 3u);
  EXPECT_EQ(r.labelled[2].text, "charged twice");  // a mark opening a row is not text
}

// A second header in another case is the header repeated; one whose columns are in another
// order makes every row after it wrong (timestamps had become labels): refused, even under
// skip_invalid.
TEST(ReadExamples, AHeaderRepeatedInAnotherCaseOrOrderIsCaught) {
  TempDir dir;
  auto upper = dir.write("upper.csv",
                         "text,label\nwhere is my parcel,shipping\nTEXT, Label\n"
                         "refund me,billing\n");
  EXPECT_THAT(error_of(upper), HasSubstr("upper.csv:3: this row repeats the header line"));
  auto reordered = dir.write("reordered.csv",
                             "text,label\nwhere is my parcel,shipping\n"
                             "label,text\nbilling,refund me\n");
  ReadOptions options;
  options.skip_invalid = true;
  EXPECT_THAT(error_of(reordered, options),
              HasSubstr("reordered.csv:3: this row is the header again with its columns in "
                        "another order"));
}

// Two exports joined one after the other: the second header is not a row whose label is
// "label".
TEST(ReadExamples, ARowThatRepeatsTheHeaderIsMalformed) {
  TempDir dir;
  auto file = dir.write(
      "joined.csv", "text,label\nwhere is my parcel,shipping\ntext, label\nrefund me,billing\n");
  EXPECT_THAT(error_of(file), HasSubstr("joined.csv:3: this row repeats the header line"));
  ReadOptions options;
  options.skip_invalid = true;
  ReadResult r = read_examples(file, options);
  EXPECT_EQ(r.invalid_skipped, 1u);
  ASSERT_EQ(r.labelled.size(), 2u);
  EXPECT_EQ(r.labelled[1].label, "billing");
}

TEST(ReadExamples, TextWithLineBreaksThatIsMeantToHaveThemIsKept) {
  TempDir dir;
  // An e-mail body over several lines, commas included: no line of it ends in a label.
  auto file =
      dir.write("mail.csv",
                "text,label\n"
                "\"Hello team,\nI was charged twice, please refund.\nThanks, Bob\",billing\n"
                "app crashes on start,tech\n"
                "\"Hi,\nthe login page, again\",tech\n");
  ReadResult r = read_examples(file, ReadOptions{});
  ASSERT_EQ(r.labelled.size(), 3u);
  EXPECT_EQ(r.labelled[0].text, "Hello team,\nI was charged twice, please refund.\nThanks, Bob");
  EXPECT_EQ(r.invalid_skipped, 0u);
}

// The label column first, then a text with line breaks: the row's first line holds its own label
// before the quote, and is not a row of its own (such files had been refused).
TEST(ReadExamples, ALabelColumnBeforeAMultiLineTextIsKept) {
  TempDir dir;
  auto file = dir.write("label_first.csv",
                        "category,text\n"
                        "billing,\"I was charged twice\nThanks, Ann\"\n"
                        "login,cannot log in\n"
                        "billing,\"refund please\nand quickly\nBob\"\n");
  ReadOptions options;
  options.label_column = "category";
  ReadResult r = read_examples(file, options);
  ASSERT_EQ(r.labelled.size(), 3u);
  EXPECT_EQ(r.labelled[0].text, "I was charged twice\nThanks, Ann");
  // With the label column first, a stray quote in the text is still found by the lines it
  // swallowed.
  auto stray = dir.write("label_first_stray.csv",
                         "category,text\nbilling,\"oops\nlogin,cannot log in\nlogin,still "
                         "cannot\nbilling,the end\" here\nlogin,locked out\n");
  EXPECT_THAT(error_of(stray, options), HasSubstr("label_first_stray.csv:2: a quoted field"));
}

TEST(ReadExamples, RaggedRowOverSeveralLinesSaysWhereItEnds) {
  TempDir dir;
  auto file = dir.write("ragged_span.csv",
                        "text,label\n"
                        "\"one,tech\n"
                        "two\",tech,extra\n"
                        "three,billing\n");
  EXPECT_THAT(error_of(file), AllOf(HasSubstr("ragged_span.csv:2: row has 3 fields"),
                                    HasSubstr("this row runs from line 2 to line 3")));
  ReadOptions options;
  options.skip_invalid = true;
  ReadResult r = read_examples(file, options);
  EXPECT_EQ(r.invalid_skipped, 1u);
  EXPECT_EQ(r.invalid_lines_skipped, 1u);
  ASSERT_EQ(r.labelled.size(), 1u);
}

TEST(ReadExamples, InvalidUtf8NamesLineAndByte) {
  EXPECT_THAT(error_of(dataset("bad_utf8.csv")),
              HasSubstr("bad_utf8.csv:3: invalid UTF-8 at byte 4 of line 3"));
}

TEST(ReadExamples, MalformedJsonLineNamesFileAndLine) {
  EXPECT_THAT(error_of(dataset("malformed.jsonl")),
              AllOf(HasSubstr("malformed.jsonl:2: malformed JSON"), HasSubstr("column")));
}

TEST(ReadExamples, NonStringTextIsAnError) {
  EXPECT_THAT(error_of(dataset("non_string_text.jsonl")),
              HasSubstr("non_string_text.jsonl:2: field \"text\" is a number, not a string"));
}

TEST(ReadExamples, JsonLineThatIsNotAnObjectIsAnError) {
  TempDir dir;
  auto file = dir.write("array.jsonl", "{\"text\": \"a\", \"label\": \"b\"}\n[1, 2]\n");
  EXPECT_THAT(error_of(file), HasSubstr("array.jsonl:2: the line holds a JSON array"));
}

// A number label written 1 by one exporter and 1.0 by another is one label.
TEST(ReadExamples, JsonlNumberLabelsThatAreEqualAreOneLabel) {
  TempDir dir;
  auto file = dir.write("numbers.jsonl",
                        "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": 1.0}\n"
                        "{\"text\": \"c\", \"label\": 2.5}\n");
  ReadResult r = read_examples(file, {});
  ASSERT_EQ(r.labelled.size(), 3u);
  EXPECT_EQ(r.labelled[0].label, "1");
  EXPECT_EQ(r.labelled[1].label, "1");
  EXPECT_EQ(r.labelled[2].label, "2.5");
}

TEST(ReadExamples, JsonlWithByteOrderMarkAndInvalidUtf8) {
  TempDir dir;
  auto file = dir.write("bom.jsonl",
                        "\xEF\xBB\xBF{\"text\": \"ok\", \"label\": \"a\"}\n"
                        "{\"text\": \"caf\xe9\", \"label\": \"a\"}\n");
  EXPECT_THAT(error_of(file), HasSubstr("bom.jsonl:2: invalid UTF-8 at byte 14 of the line"));
  ReadOptions options;
  options.skip_invalid = true;
  ReadResult r = read_examples(file, options);
  EXPECT_EQ(r.labelled.size(), 1u);
  EXPECT_EQ(r.invalid_skipped, 1u);
}

TEST(ReadExamples, HeaderWithInvalidUtf8IsAnError) {
  TempDir dir;
  auto file = dir.write("head.csv", "t\xffxt,label\na,b\n");
  EXPECT_THAT(error_of(file), HasSubstr("head.csv:1: header row: invalid UTF-8"));
}

TEST(ReadExamples, MissingCsvColumnListsTheColumnsThatExist) {
  ReadOptions options;
  options.label_column = "category";
  EXPECT_THAT(error_of(dataset("ragged.csv"), options),
              AllOf(HasSubstr("ragged.csv:1: no column \"category\""),
                    HasSubstr("the columns are: text, label")));
}

TEST(ReadExamples, TwoColumnsOfTheConfiguredNameAreAnError) {
  TempDir dir;
  auto file = dir.write("twice.csv", "text,label,label\nhello,greeting,x\n");
  EXPECT_THAT(error_of(file),
              AllOf(HasSubstr("twice.csv:1: the header names two columns \"label\" (columns 2 "
                              "and 3)"),
                    HasSubstr("rename one")));
  // A repeated column nobody asked for is no problem.
  auto other = dir.write("other.csv", "text,label,note,note\nhello,greeting,a,b\n");
  EXPECT_EQ(error_of(other), "");
}

TEST(ReadExamples, MissingColumnIsAnErrorEvenWhenSkipping) {
  ReadOptions options;
  options.text_column = "body";
  options.skip_invalid = true;
  EXPECT_THAT(error_of(dataset("quoted.csv"), options), HasSubstr("no column \"body\""));
}

// The id column has no flag: its message names only the [data] key (it suggested --id).
TEST(ReadExamples, AMissingIdColumnNamesOnlyTheKey) {
  ReadOptions options;
  options.id_column = "ticket_id";
  std::string message = error_of(dataset("quoted.csv"), options);
  EXPECT_THAT(message, HasSubstr("Set [data] id = \"<column>\" to one of them"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("--id")));
}

TEST(ReadExamples, MissingJsonlFieldListsTheFieldsOfTheFirstObject) {
  ReadOptions options;
  options.text_column = "body";
  EXPECT_THAT(error_of(dataset("tickets.jsonl"), options),
              AllOf(HasSubstr("tickets.jsonl:1: no field \"body\""),
                    HasSubstr("the fields are: id, label, text")));
}

TEST(ReadExamples, UnknownLabelIsAnError) {
  ReadOptions options;
  options.allowed_labels = {"billing", "refund"};
  EXPECT_THAT(
      error_of(dataset("quoted.csv"), options),
      AllOf(HasSubstr("quoted.csv:3: unknown label 'login'"), HasSubstr("'billing', 'refund'")));
  // Under normalize_labels a spelling of an allowed label is read as it, not refused.
  options.normalize_labels = true;
  options.allowed_labels = {"Billing", "Refund", "Login"};
  ReadResult mapped = read_examples(dataset("quoted.csv"), options);
  EXPECT_GT(mapped.labels_mapped_to_allowed, 0u);
  for (const Example& e : mapped.labelled)
    EXPECT_TRUE(e.label == "Billing" || e.label == "Refund" || e.label == "Login") << e.label;
  options.normalize_labels = false;
  // A [labels] entry that differs only in letter case is named.
  options.allowed_labels = {"billing", "refund", "Login"};
  EXPECT_THAT(error_of(dataset("quoted.csv"), options),
              HasSubstr("unknown label 'login' (did you mean 'Login'? [labels] is matched "
                        "exactly, letter case too)"));
}

// macOS and some exports write "ü" as "u" + a combining diaeresis (NFD). It looks exactly like
// "ü" and is the same text; read as its own label, it had become "estimated wrong" and "never
// answered right". Labels are read in NFC and the rows so read are counted per label.
TEST(ReadExamples, ALabelInDecomposedUnicodeIsItsComposedSpelling) {
  TempDir dir;
  auto file = dir.write("de.csv",
                        "text,label\n"
                        "a,K\u00fcndigung\n"
                        "b,Ku\u0308ndigung\n"
                        "c,Ku\u0308ndigung\n"
                        "d,Rechnung\n");
  ReadResult r = read_examples(file, {});
  ASSERT_EQ(r.labelled.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.labelled[i].label, "K\u00fcndigung");
  EXPECT_EQ(r.labels_composed.size(), 1u);
  EXPECT_EQ(r.labels_composed["K\u00fcndigung"], 2u);
  // A [labels] entry matches either spelling in the data; full-width letters stay apart (only
  // normalize_labels reads them as the entry).
  ReadOptions options;
  options.allowed_labels = {"K\u00fcndigung", "Rechnung"};
  EXPECT_EQ(read_examples(file, options).labelled.size(), 4u);
}

// A label that differs from an allowed one by a character nobody sees (a no-break space from a
// spreadsheet) is shown with it written out; each allowed label is quoted, so one holding a
// comma is not read as two.
TEST(ReadExamples, AnUnknownLabelShowsWhatCannotBeSeen) {
  EXPECT_EQ(visible("a\u00A0b"), "a\\u{00A0}b");
  EXPECT_EQ(visible("zero\u200Bwidth\ttab"), "zero\\u{200B}width\\u{0009}tab");
  EXPECT_EQ(visible("café 线性"), "café 线性");
  EXPECT_EQ(quoted_list({"a b", "billing, refunds"}, 5), "'a b', 'billing, refunds'");
}

TEST(ReadExamples, SkipInvalidCountsEachBadRowAndKeepsTheRest) {
  ReadOptions options;
  options.skip_invalid = true;
  options.allowed_labels = {"billing", "login", "refund"};
  ReadResult r = read_examples(dataset("mixed_invalid.csv"), options);
  EXPECT_EQ(r.rows, 6u);
  EXPECT_EQ(r.invalid_skipped, 3u);  // ragged, unknown label, invalid UTF-8
  ASSERT_EQ(r.labelled.size(), 3u);
  EXPECT_EQ(r.labelled[2].text, "row six");
  ASSERT_EQ(r.invalid_samples.size(), 3u);
  EXPECT_THAT(r.invalid_samples[0], HasSubstr("mixed_invalid.csv:3: row has 3 fields"));
  EXPECT_THAT(r.invalid_samples[1], HasSubstr("mixed_invalid.csv:5: unknown label"));
  EXPECT_THAT(r.invalid_samples[2], HasSubstr("mixed_invalid.csv:6: invalid UTF-8"));
}

TEST(ReadExamples, KeepsAtMostFiveInvalidSamples) {
  TempDir dir;
  std::string csv = "text,label\n";
  for (int i = 0; i < 8; ++i) csv += "a,b,c\n";
  ReadOptions options;
  options.skip_invalid = true;
  ReadResult r = read_examples(dir.write("many.csv", csv), options);
  EXPECT_EQ(r.invalid_skipped, 8u);
  EXPECT_EQ(r.invalid_samples.size(), 5u);
}

TEST(ReadExamples, MissingFileSaysNotFound) {
  EXPECT_THAT(error_of(dataset("no_such_file.csv")),
              AllOf(HasSubstr("no_such_file.csv"), HasSubstr("not found")));
}

TEST(ReadExamples, UnknownExtensionNamesTheFormatsThatWork) {
  TempDir dir;
  EXPECT_THAT(error_of(dir.write("tickets.xlsx", "x")),
              AllOf(HasSubstr("unknown data format \".xlsx\""), HasSubstr(".csv, .tsv, .jsonl")));
}

TEST(ReadExamples, ExtensionIsCaseInsensitive) {
  TempDir dir;
  ReadResult r = read_examples(dir.write("UPPER.CSV", "text,label\nhello,greet\n"), {});
  EXPECT_THAT(r.labelled.size(), 1u);
}

TEST(ReadExamples, NdjsonIsJsonLines) {
  TempDir dir;
  ReadResult r = read_examples(dir.write("t.ndjson", "{\"text\":\"hi\",\"label\":\"x\"}\n"), {});
  ASSERT_EQ(r.labelled.size(), 1u);
  EXPECT_EQ(r.labelled[0].label, "x");
}

}  // namespace
}  // namespace tunecase
