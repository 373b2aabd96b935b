#include "tunecase/data/prepare.h"

#include <map>

#include <fmt/format.h>
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

// A CSV with `per_label` rows for each of three labels, one text written three times with
// conflicting labels (billing twice: its majority), one empty text and one unlabelled row.
std::string tickets_csv(int per_label) {
  std::string csv = "text,label\n";
  for (const char* label : {"billing", "login", "refund"}) {
    for (int i = 0; i < per_label; ++i)
      csv += fmt::format("{} ticket number {},{}\n", label, i, label);
  }
  csv += "Billing ticket number 0,refund\n";  // duplicate of a billing row, other label
  csv += "BILLING ticket number 0,billing\n";
  csv += ",billing\n";
  csv += "what is this,\n";
  return csv;
}

TEST(PrepareData, OneFileIsReadDeduplicatedAndSplit) {
  TempDir dir;
  DataConfig config;
  config.path = dir.write("tickets.csv", tickets_csv(10));
  PreparedData data = prepare_data(config);
  const DatasetSummary& s = data.summary;
  EXPECT_EQ(s.rows, 34u);
  EXPECT_EQ(s.duplicates_removed, 2u);
  EXPECT_EQ(s.label_conflicts, 1u);
  EXPECT_EQ(s.empty_text, 1u);
  EXPECT_EQ(s.skipped_rows, 1u);
  EXPECT_EQ(s.unlabelled, 1u);
  EXPECT_EQ(data.unlabelled.size(), 1u);
  EXPECT_EQ(s.train + s.dev + s.test, 30u);
  EXPECT_EQ(s.test, 6u);
  EXPECT_EQ(s.dev, 3u);
  EXPECT_THAT(data.labels, ElementsAre("billing", "login", "refund"));
  EXPECT_EQ(s.labels, 3u);
}

// Two texts under one id cannot be told apart by id downstream: counted and named. The same
// text twice under its id is a duplicate row, removed and counted as such, not an id clash.
TEST(PrepareData, IdsSharedByDifferentTextsAreCountedAndNamed) {
  TempDir dir;
  std::string csv = "id,text,label\n";
  for (const char* label : {"billing", "login", "refund"}) {
    for (int i = 0; i < 10; ++i)
      csv += fmt::format("{}-{},{} ticket number {},{}\n", label, i, label, i, label);
  }
  csv += "billing-1,a different billing text,billing\n";
  csv += "login-2,another login question,login\n";
  csv += "login-2,and a third one,\n";                // unlabelled rows count too
  csv += "refund-3,refund ticket number 3,refund\n";  // a plain duplicate row
  DataConfig config;
  config.path = dir.write("tickets.csv", csv);
  config.id = "id";
  PreparedData data = prepare_data(config);
  EXPECT_EQ(data.summary.duplicates_removed, 1u);
  EXPECT_EQ(data.summary.duplicate_ids, 3u);
  EXPECT_THAT(data.summary.duplicate_id_samples,
              ::testing::UnorderedElementsAre("billing-1", "login-2"));
  EXPECT_EQ(data.summary.to_json()["duplicate_ids"], 3);

  config.id.clear();  // without an id column, ids are file:line and never clash
  EXPECT_EQ(prepare_data(config).summary.duplicate_ids, 0u);
}

// Two rows per label: each label gives one test row, half the data, whatever test_fraction
// says. The summary records both shares; with many rows per label they agree.
TEST(PrepareData, RecordsTheTestShareBesideTheTestFractionAskedFor) {
  TempDir dir;
  DataConfig config;
  config.path = dir.write("small.csv", tickets_csv(2));
  config.test_fraction = 0.2;
  config.dev_fraction = 0;
  PreparedData small = prepare_data(config);
  EXPECT_DOUBLE_EQ(small.summary.test_fraction, 0.2);
  EXPECT_DOUBLE_EQ(small.summary.test_share, 0.5);
  EXPECT_DOUBLE_EQ(small.summary.to_json()["test_share"].get<double>(), 0.5);
  config.path = dir.write("large.csv", tickets_csv(50));
  EXPECT_NEAR(prepare_data(config).summary.test_share, 0.2, 0.01);
}

TEST(PrepareData, OneLabelValueIsAnErrorThatNamesTheColumn) {
  TempDir dir;
  std::string csv = "text,source\n";
  for (int i = 0; i < 30; ++i) csv += fmt::format("ticket number {},email\n", i);
  DataConfig config;
  config.path = dir.write("tickets.csv", csv);
  config.label = "source";
  try {
    prepare_data(config);
    FAIL() << "one label value was accepted";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the label column 'source' holds one value, 'email', in all "
                                    "30 labelled rows"));
    EXPECT_THAT(e.what(), HasSubstr("--label"));
  }
}

TEST(PrepareData, SummaryJsonHasTheContractKeys) {
  TempDir dir;
  DataConfig config;
  config.path = dir.write("tickets.csv", tickets_csv(10));
  nlohmann::json j = prepare_data(config).summary.to_json();
  for (const char* key : {"rows", "labels", "train", "dev", "test", "duplicates_removed",
                          "leaked_into_train", "skipped_rows"}) {
    EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j[key].is_number_unsigned()) << key;
  }
  EXPECT_EQ(j["rows"], 34);
  EXPECT_EQ(j["conflict_samples"][0]["chosen"], "billing");
  EXPECT_EQ(j["conflict_samples"][0]["label_counts"]["refund"], 1);
}

TEST(PrepareData, TimeSplitUsesTheTimeColumn) {
  TempDir dir;
  std::string csv = "text,label,at\n";
  for (int day = 1; day <= 20; ++day) {
    csv += fmt::format("ticket {},{},2024-01-{:02d}\n", day, day % 2 ? "a" : "b", day);
  }
  DataConfig config;
  config.path = dir.write("t.csv", csv);
  config.time = "at";
  config.split = "time";
  PreparedData data = prepare_data(config);
  ASSERT_EQ(data.splits.test.size(), 4u);
  EXPECT_EQ(data.splits.test.front().time, "2024-01-17");
  EXPECT_EQ(data.splits.train.back().time, "2024-01-14");
}

TEST(PrepareData, PreSplitRemovesLeakedTestRowsAndListsUnseenLabels) {
  DataConfig config;
  config.train = dataset("presplit_train.csv");
  config.dev = dataset("presplit_dev.csv");
  config.test = dataset("presplit_test.csv");
  PreparedData data = prepare_data(config);
  const DatasetSummary& s = data.summary;
  EXPECT_EQ(s.rows, 5u + 3u + 4u);
  EXPECT_EQ(s.train, 5u);
  EXPECT_EQ(s.dev, 3u);
  EXPECT_EQ(s.duplicates_removed, 1u);  // within test
  EXPECT_EQ(s.leaked_into_train, 1u);   // "Cannot  LOG in" is in train
  EXPECT_EQ(s.test, 2u);
  EXPECT_THAT(s.test_labels_unseen_in_train, ElementsAre("bug"));
  EXPECT_EQ(s.test_rows_unseen_in_train, 1u);
  EXPECT_THAT(data.labels, ElementsAre("billing", "bug", "login", "refund"));
}

TEST(PrepareData, PreSplitDevAndTestNamingOneFileIsAnError) {
  DataConfig config;
  config.train = dataset("presplit_train.csv");
  config.dev = dataset("presplit_test.csv");
  config.test = dataset("presplit_test.csv");
  try {
    prepare_data(config);
    FAIL() << "dev and test as one file were accepted";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("[data] dev and test (--dev, --test) name the same file"));
  }
}

TEST(PrepareData, PreSplitWithoutDevAndDevFractionZeroLeavesDevEmpty) {
  DataConfig config;
  config.train = dataset("presplit_train.csv");
  config.test = dataset("presplit_test.csv");
  config.dev_fraction = 0;
  PreparedData data = prepare_data(config);
  EXPECT_TRUE(data.splits.dev.empty());
  EXPECT_EQ(data.summary.train, 5u);
  EXPECT_EQ(data.summary.test, 2u);
  EXPECT_EQ(data.summary.to_json()["dev_source"], "none");
}

TEST(PrepareData, PreSplitWithoutDevCarvesDevFromTrainStratifiedAndSeeded) {
  TempDir dir;
  DataConfig config;
  config.train = dir.write("train.csv", tickets_csv(20));
  config.test = dir.write("test.csv", "text,label\nrefund please,refund\nlog me in,login\n");
  config.dev_fraction = 0.1;
  PreparedData data = prepare_data(config);
  const Splits& s = data.splits;
  EXPECT_EQ(s.train.size() + s.dev.size(), 60u);  // every train row, in one of the two
  EXPECT_EQ(s.dev.size(), 6u);                    // 2 of each label's 20
  std::map<std::string, int> per_label;
  for (const auto& e : s.dev) ++per_label[e.label];
  EXPECT_THAT(per_label, ElementsAre(std::pair<const std::string, int>{"billing", 2},
                                     std::pair<const std::string, int>{"login", 2},
                                     std::pair<const std::string, int>{"refund", 2}));
  EXPECT_EQ(data.summary.dev, 6u);
  EXPECT_EQ(data.summary.to_json()["dev_source"], "carved_from_train");
  EXPECT_EQ(s.test.size(), 2u);  // test is never touched

  auto texts = [](const Examples& examples) {
    std::vector<std::string> out;
    for (const auto& e : examples) out.push_back(e.text);
    return out;
  };
  EXPECT_EQ(texts(prepare_data(config).splits.dev), texts(s.dev));  // same seed, same dev
  config.seed = 8;
  EXPECT_NE(texts(prepare_data(config).splits.dev), texts(s.dev));
}

TEST(PrepareData, SkippedInvalidRowsAreCountedInSkippedRows) {
  TempDir dir;
  std::string csv = "text,label\n";
  for (int i = 0; i < 10; ++i) csv += fmt::format("ticket {},{}\n", i, i % 2 ? "a" : "b");
  csv += "too,many,fields\n ,a\nunknown label row,zzz\n";
  DataConfig config;
  config.path = dir.write("some_bad.csv", csv);
  config.skip_invalid = true;
  config.allowed_labels = {"a", "b"};
  PreparedData data = prepare_data(config);
  EXPECT_EQ(data.summary.rows, 13u);
  EXPECT_EQ(data.summary.invalid_rows, 2u);
  EXPECT_EQ(data.summary.empty_text, 1u);
  EXPECT_EQ(data.summary.skipped_rows, 3u);
  EXPECT_THAT(data.summary.invalid_samples,
              ElementsAre(HasSubstr("some_bad.csv:12:"), HasSubstr("some_bad.csv:14:")));
}

// Every row skipped by --skip-invalid (a Windows-1252 file): the error says why they were
// skipped, not "no row has a label", which had sent the user to check a correct column.
TEST(PrepareData, EveryRowSkippedAsInvalidSaysWhy) {
  TempDir dir;
  std::string csv = "text,label\n";
  for (int i = 0; i < 6; ++i) csv += fmt::format("Jos\xE9 ticket {},{}\n", i, i % 2 ? "a" : "b");
  DataConfig config;
  config.path = dir.write("cp1252.csv", csv);
  config.skip_invalid = true;
  try {
    prepare_data(config);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no row is left to use: 6 of the 6 rows read were skipped as "
                                    "invalid (--skip-invalid), the first: "));
    EXPECT_THAT(e.what(), HasSubstr("Windows-1252"));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("no row has a label")));
  }
}

TEST(PrepareData, NoLabelledRowIsAnError) {
  TempDir dir;
  DataConfig config;
  config.path = dir.write("nolabels.csv", "text,label\na,\nb,\n");
  try {
    prepare_data(config);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("nolabels.csv: no row has a label"));
  }
}

TEST(PrepareData, TimeSplitWithoutTimeColumnIsAnError) {
  DataConfig config;
  config.path = dataset("quoted.csv");
  config.split = "time";
  try {
    prepare_data(config);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("needs a time column"));
  }
}

TEST(PrepareData, NoDataIsAnError) {
  EXPECT_THROW(prepare_data(DataConfig{}), UserError);
}

TEST(PrepareData, EmptyTestSplitIsAnError) {
  TempDir dir;
  DataConfig config;
  config.path = dir.write("tiny.csv", "text,label\nonly one,a\nanother,b\n");
  try {
    prepare_data(config);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("test split is empty"));
  }
}

// One text repeated with two labels: de-duplication leaves one row of one label. The message
// says so instead of blaming the label column, and inspect still reads the file to show it.
TEST(PrepareData, OneLabelLeftByMergedRepeatsSaysSo) {
  TempDir dir;
  std::string csv = "text,label\n";
  for (int i = 0; i < 20; ++i) csv += fmt::format("same text here,{}\n", i % 2 ? "a" : "b");
  DataConfig config;
  config.path = dir.write("same.csv", csv);
  try {
    prepare_data(config);
    FAIL() << "one row was accepted";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("20 rows read; 19 rows repeating another row's text were "
                                    "merged into it, 1 texts with conflicting labels"));
  }
  PreparedData inspected = prepare_data(config, /*evaluable=*/false);
  EXPECT_EQ(inspected.summary.label_conflicts, 1u);
}

// As many labels as rows: the column named is an id, not a category.
TEST(PrepareData, ALabelColumnOfUniqueValuesIsCalledAnId) {
  TempDir dir;
  std::string csv = "id,text,label\n";
  for (int i = 0; i < 12; ++i) csv += fmt::format("T-{},ticket number {},x\n", i, i);
  DataConfig config;
  config.path = dir.write("ids.csv", csv);
  config.label = "id";
  try {
    prepare_data(config);
    FAIL() << "an id column was taken for labels";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("every value of the label column 'id' occurs once (12 labels "
                                    "in 12 labelled rows): it looks like an id"));
  }
}

}  // namespace
}  // namespace tunecase
