#include "tunecase/data/label_variants.h"

#include <gtest/gtest.h>

#include "data_test_support.h"
#include "tunecase/data/prepare.h"

namespace tunecase {
namespace {

using testing::make_example;
using testing::TempDir;

TEST(LabelVariants, GroupsCaseAndUnicodeFormsUnderTheMostFrequentSpelling) {
  Examples rows;
  for (int i = 0; i < 5; ++i) rows.push_back(make_example("a" + std::to_string(i), "billing"));
  for (int i = 0; i < 2; ++i) rows.push_back(make_example("b" + std::to_string(i), "BILLING"));
  rows.push_back(make_example("c", "Billing"));
  rows.push_back(make_example("d", "ｂｉｌｌｉｎｇ"));  // full-width: equal under NFKC
  // Behind characters nobody sees (a zero-width space, a byte-order mark): the same label.
  rows.push_back(make_example("z", "\u200Bbilling"));
  rows.push_back(make_example("m", "\uFEFFbilling"));
  rows.push_back(make_example("e", "shipping"));
  auto groups = find_label_variants({&rows});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].canonical, "billing");
  ASSERT_EQ(groups[0].spellings.size(), 6u);
  EXPECT_EQ(groups[0].spellings[0].second, 5u);
  EXPECT_EQ(groups[0].spellings[1].first, "BILLING");
  EXPECT_EQ(apply_label_variants(groups, rows), 6u);
  for (std::size_t i = 0; i + 1 < rows.size(); ++i) EXPECT_EQ(rows[i].label, "billing");
  EXPECT_EQ(rows.back().label, "shipping");
}

// A numeric label column exported as floats ("1.0") beside one written as integers ("1") is one
// label twice, as JSONL's reader reads 1.0 as "1"; "1.5", "10" and "01" are labels of their own.
TEST(LabelVariants, WholeNumbersWrittenWithADecimalPartAreVariants) {
  Examples rows;
  for (int i = 0; i < 3; ++i) rows.push_back(make_example("a" + std::to_string(i), "1"));
  rows.push_back(make_example("b", "1.0"));
  rows.push_back(make_example("c", "1.00"));
  rows.push_back(make_example("d", "-2.0"));
  rows.push_back(make_example("e", "-2"));
  for (const char* other : {"1.5", "10", "01", "1.", ".0", "v1.0"})
    rows.push_back(make_example(std::string("x") + other, other));
  auto groups = find_label_variants({&rows});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].canonical, "-2");  // a tie: the smaller in byte order
  EXPECT_EQ(groups[1].canonical, "1");
  EXPECT_EQ(groups[1].spellings.size(), 3u);
}

TEST(LabelVariants, PrepareKeepsVariantsApartUnlessAskedAndCountsThem) {
  TempDir dir;
  std::string csv = "text,category\n";
  for (int i = 0; i < 30; ++i) csv += "refund request " + std::to_string(i) + ",billing\n";
  for (int i = 0; i < 10; ++i) csv += "charge question " + std::to_string(i) + ",BILLING\n";
  for (int i = 0; i < 5; ++i) csv += "invoice copy " + std::to_string(i) + ",billing \n";
  for (int i = 0; i < 30; ++i) csv += "parcel late " + std::to_string(i) + ",shipping\n";
  DataConfig config;
  config.path = dir.write("tickets.csv", csv);
  config.label = "category";
  PreparedData apart = prepare_data(config);
  EXPECT_EQ(apart.labels.size(), 3u);
  EXPECT_EQ(apart.summary.labels_trimmed, 5u);
  // The five "billing " rows joined the thirty written "billing": one label, said as a merge.
  ASSERT_EQ(apart.summary.trimmed_labels.size(), 1u);
  EXPECT_EQ(apart.summary.trimmed_labels[0].rows_trimmed, 5u);
  EXPECT_EQ(apart.summary.trimmed_labels[0].rows_as_written, 30u);
  EXPECT_EQ(apart.summary.trimmed_labels_said(),
            "5 rows' labels had surrounding whitespace or invisible characters, trimmed (1 label); "
            "1 of them merged spellings into one label: 'billing' (5 rows written with "
            "surrounding whitespace or invisible characters joined 30 written without)");
  EXPECT_EQ(apart.summary.to_json()["trimmed_labels"][0]["rows_as_written"], 30);
  ASSERT_EQ(apart.summary.label_variants.size(), 1u);
  EXPECT_EQ(apart.summary.label_rows_normalized, 0u);

  config.normalize_labels = true;
  PreparedData merged = prepare_data(config);
  EXPECT_EQ(merged.labels, (std::vector<std::string>{"billing", "shipping"}));
  EXPECT_EQ(merged.summary.label_rows_normalized, 10u);
  EXPECT_TRUE(merged.summary.to_json()["labels_normalized"].get<bool>());

  // With [labels], a spelling of an entry is read as the entry's spelling, and the report still
  // names the group (it had said no label was written two ways while the rows were merged).
  config.allowed_labels = {"Billing", "shipping"};
  PreparedData listed = prepare_data(config);
  EXPECT_EQ(listed.labels, (std::vector<std::string>{"Billing", "shipping"}));
  EXPECT_EQ(listed.summary.label_rows_normalized, 45u);  // 30 + 10 + 5, none written "Billing"
  ASSERT_EQ(listed.summary.label_variants.size(), 1u);
  const LabelVariantGroup& g = listed.summary.label_variants[0];
  EXPECT_EQ(g.canonical, "Billing");
  EXPECT_EQ(g.spellings,
            (std::vector<std::pair<std::string, std::size_t>>{{"billing", 35}, {"BILLING", 10}}));
}

// Two spellings with whitespace and none without (" security", "security\t") become one label:
// a merge, said as such, though no row wrote the label plainly.
TEST(LabelVariants, TwoPaddedSpellingsOfOneLabelAreAMerge) {
  TempDir dir;
  std::string csv = "text,category\n";
  for (int i = 0; i < 10; ++i) csv += "lost key " + std::to_string(i) + ", security\n";
  for (int i = 0; i < 10; ++i) csv += "door code " + std::to_string(i) + ",\"security\t\"\n";
  for (int i = 0; i < 10; ++i) csv += "parcel late " + std::to_string(i) + ",shipping\n";
  DataConfig config;
  config.path = dir.write("tickets.csv", csv);
  config.label = "category";
  PreparedData data = prepare_data(config);
  ASSERT_EQ(data.summary.trimmed_labels.size(), 1u);
  EXPECT_EQ(data.summary.trimmed_labels[0].rows_as_written, 0u);
  EXPECT_TRUE(data.summary.trimmed_labels[0].merged());
  EXPECT_NE(data.summary.trimmed_labels_said().find(
                "merged spellings into one label: 'security' (20 rows written 2 ways with it"),
            std::string::npos)
      << data.summary.trimmed_labels_said();
  EXPECT_EQ(data.summary.to_json()["trimmed_labels"][0]["spellings_trimmed"], 2);
}

}  // namespace
}  // namespace tunecase
