#include "tunecase/quality/inspect.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <random>

#include <fmt/format.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../data/data_test_support.h"
#include "quality_test_support.h"
#include "tunecase/quality/quality_report.h"

namespace tunecase {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

std::string csv_of(const Examples& rows) {
  std::string csv = "text,category\n";
  for (const auto& e : rows) csv += e.text + "," + e.label + "\n";
  return csv;
}

// Inspects `rows` as one file split with no dev rows and `test_fraction` held out.
DataQuality inspect_split(const TempDir& dir, const Examples& rows, double test_fraction) {
  DataConfig config;
  config.path = dir.write("all.csv", csv_of(rows));
  config.label = "category";
  config.dev_fraction = 0;
  config.test_fraction = test_fraction;
  return inspect_data(prepare_data(config), InspectOptions{});
}

TEST(Inspect, ReportsPlantedProblemsOfPreSplitFiles) {
  TempDir dir;
  auto train = testing::noisy_data(600, 4, 0.10, 21);
  auto test = testing::noisy_data(120, 4, 0.0, 22);
  for (auto& e : test.rows) e.text = "t " + e.text;
  // Near-copies of train texts in test (leakage), near-copies within train, case variants.
  for (std::size_t i = 0; i < 6; ++i) test.rows[i * 10].text = train.rows[i * 50].text + " thanks";
  train.rows[1].text = train.rows[0].text + " ok";
  train.rows[5].label = "LABEL_1";
  train.rows[9].label = "Label_1";
  DataConfig config;
  config.train = dir.write("train.csv", csv_of(train.rows));
  config.test = dir.write("test.csv", csv_of(test.rows));
  config.label = "category";
  config.dev_fraction = 0;
  InspectOptions options;
  options.min_label_count = 200;
  DataQuality q = inspect_data(prepare_data(config), options);

  EXPECT_EQ(q.summary.label_variants.size(), 1u);
  EXPECT_EQ(q.test_near_leaked_count, 6u);
  EXPECT_EQ(q.train_near.redundant_rows, 1u);
  ASSERT_TRUE(q.noise.has_value());
  EXPECT_GT(q.noise->wrong_share.estimate, 0.05);
  EXPECT_LT(q.noise->wrong_share.estimate, 0.16);
  // LABEL_1 and Label_1 have one row each: under min_label_count, as are the others (150 each).
  EXPECT_EQ(q.balance.below_min.size(), 6u);
  EXPECT_GT(q.balance.imbalance_ratio, 100);
  EXPECT_LT(q.high_quality_examples, 720 - 6 - 1 - 30);
  // 150 rows a label and a model that learns them: the figure is an estimate, not a bound.
  EXPECT_FALSE(q.noise->model_limited());
  EXPECT_FALSE(q.high_quality_examples_high.has_value());
  ASSERT_TRUE(q.noise->half_estimate.has_value());
  EXPECT_GT(q.noise->judge_accuracy, 0.8);

  nlohmann::json j = q.to_json();
  EXPECT_EQ(j["duplicates"]["test_near_leaked"], 6);
  EXPECT_EQ(j["label_noise"]["source"], "estimated");
  std::string md = data_quality_markdown(q);
  EXPECT_THAT(md, HasSubstr("normalize_labels = true"));
  EXPECT_THAT(md, HasSubstr("near-copies of a train or dev text"));
  EXPECT_THAT(md, HasSubstr("(estimated)"));
  // Spellings in the variants table are quoted text, not code spans (a '|' or a backtick in a
  // label had broken the table's row).
  EXPECT_THAT(md, HasSubstr("\"LABEL_1\" (1)"));
  // Labels in the balance lines are code spans: shown as written, each plainly delimited.
  for (const auto& label : q.balance.below_min) EXPECT_THAT(md, HasSubstr("`" + label + "`"));
  // Rows removed and texts in conflict, each in its unit ("771 of them" had read as rows).
  EXPECT_THAT(md, HasSubstr(fmt::format("removed: {} rows. Texts written with conflicting labels: "
                                        "{}",
                                        q.summary.duplicates_removed, q.summary.label_conflicts)));
  EXPECT_THAT(data_quality_footer(q), HasSubstr("6 test rows near-copies of train"));
  // The label count is every split's, as eval.json's: a test-only label is counted, and train's
  // own count said beside it.
  test.rows[3].label = "only_in_test";
  config.test = dir.write("test2.csv", csv_of(test.rows));
  DataQuality with_test_only = inspect_data(prepare_data(config), options);
  EXPECT_THAT(data_quality_summary(with_test_only),
              HasSubstr(fmt::format("{} labels ({} in train)", q.summary.labels + 1,
                                    q.balance.train_counts.size())));
}

// Clean labels, 40 labels of 8 rows each: the judging model is often confidently wrong, and
// confident learning would call its mistakes wrong labels. The report says the figure is an
// upper bound and gives the high-quality count as a range.
// `count` rows, row i of label label_of(i, rng) ("a", "b", ...), its text three of that label's
// words shuffled and "n<i>", inspected as one file.
DataQuality inspect_word_rows(const TempDir& dir,
                              const std::vector<std::vector<std::string>>& words, int count,
                              uint64_t seed,
                              const std::function<std::size_t(int, std::mt19937_64&)>& label_of) {
  std::mt19937_64 rng(seed);
  Examples rows;
  for (int i = 0; i < count; ++i) {
    std::size_t label = label_of(i, rng);
    std::vector<std::string> own = words[label];
    std::shuffle(own.begin(), own.end(), rng);
    Example e;
    e.text = fmt::format("{} {} {} n{}", own[0], own[1], own[2], i);
    e.label = std::string(1, static_cast<char>('a' + label));
    rows.push_back(std::move(e));
  }
  DataConfig config;
  config.path = dir.write("all.csv", csv_of(rows));
  config.label = "category";
  return inspect_data(prepare_data(config), InspectOptions{});
}

TEST(Inspect, ALabelWithOneRowDoesNotMakeTheOthersSuspects) {
  // 40 rows of two labels whose texts are made of their own label's words, and one row of a
  // third. The held-out folds never learnt the third label, so its threshold was near zero and
  // every row whose probability of it cleared that was called wrong: 58.6% of the rows, with
  // a judge agreeing with 96.6% of the labels.
  TempDir dir;
  const std::vector<std::vector<std::string>> words = {{"refund", "money", "back", "charge"},
                                                       {"login", "password", "reset", "account"},
                                                       {"ship", "delivery", "late", "parcel"}};
  DataQuality q = inspect_word_rows(dir, words, 41, 3, [](int i, std::mt19937_64& rng) {
    return i == 40 ? std::size_t{2} : (rng() % 3 == 2 ? std::size_t{1} : std::size_t{0});
  });
  ASSERT_TRUE(q.noise.has_value());
  EXPECT_GT(q.noise->judge_accuracy, 0.9);
  EXPECT_LT(q.noise->wrong_share.estimate, 0.05);
  for (const auto& s : q.noise->suspects) EXPECT_NE(q.noise->by_label[s.suggested].label, "c");
}

TEST(Inspect, TwoLabelsOfOneRowEachAreNotJudgedNorSuggestedForEachOther) {
  // Two labels of one row each: the judge of each one's fold had learnt the other's only row,
  // never its own, so each row had been "wrong" with the other label suggested (at 3%), both
  // labels 100% wrong and the headline raised on correctly labelled data.
  TempDir dir;
  const std::vector<std::vector<std::string>> words = {{"refund", "money", "back", "charge"},
                                                       {"login", "password", "reset", "account"},
                                                       {"ship", "delivery", "late", "parcel"},
                                                       {"volume", "louder", "quieter", "sound"}};
  DataQuality q = inspect_word_rows(dir, words, 42, 5, [](int i, std::mt19937_64& rng) {
    return i >= 40 ? static_cast<std::size_t>(i - 38) : static_cast<std::size_t>(rng() % 2);
  });
  ASSERT_TRUE(q.noise.has_value());
  EXPECT_EQ(q.noise->unjudged_rows, 2u);
  EXPECT_LT(q.noise->wrong_share.estimate, 0.03);
  for (const auto& s : q.noise->suspects) {
    EXPECT_NE(q.noise->by_label[s.given].label, "c");
    EXPECT_NE(q.noise->by_label[s.given].label, "d");
    EXPECT_NE(q.noise->by_label[s.suggested].label, "c");
    EXPECT_NE(q.noise->by_label[s.suggested].label, "d");
  }
  for (const auto& l : q.noise->by_label)
    EXPECT_EQ(l.judged, l.label == "c" || l.label == "d" ? 0u : l.rows) << l.label;
  const std::string md = data_quality_markdown(q);
  EXPECT_NE(md.find("2 rows could not be judged"), std::string::npos) << md;
  EXPECT_NE(md.find("| c | 1 | not judged | 0 |"), std::string::npos) << md;
}

TEST(Inspect, FewRowsPerLabelMakeTheNoiseFigureAnUpperBound) {
  TempDir dir;
  // Each text: 2 of its label's 12 words and 4 of 30 words every label uses, the words random
  // letters (no character n-gram names the label).
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int> letter('a', 'z'), own(0, 11), shared(0, 29);
  auto word = [&] {
    std::string w;
    for (int c = 0; c < 6; ++c) w += static_cast<char>(letter(rng));
    return w;
  };
  std::vector<std::string> vocabulary(40 * 12 + 30);
  for (auto& w : vocabulary) w = word();
  Examples rows;
  for (int i = 0; i < 320; ++i) {
    int label = i % 40;
    Example e;
    for (int w = 0; w < 2; ++w) e.text += vocabulary[label * 12 + own(rng)] + " ";
    for (int w = 0; w < 4; ++w) e.text += vocabulary[40 * 12 + shared(rng)] + " ";
    e.text += word();
    e.label = fmt::format("label_{}", label);
    rows.push_back(std::move(e));
  }
  DataQuality q = inspect_split(dir, rows, 0.1);
  ASSERT_TRUE(q.noise.has_value());
  EXPECT_TRUE(q.noise->model_limited());
  EXPECT_GT(q.noise->wrong_share.estimate, 0.05) << "no label is wrong: all of it is the model";
  ASSERT_TRUE(q.high_quality_examples_high.has_value());
  EXPECT_GT(*q.high_quality_examples_high, q.high_quality_examples);
  EXPECT_THAT(data_quality_summary(q), HasSubstr("at most"));
  EXPECT_THAT(data_quality_summary(q), HasSubstr("high-quality examples (estimated): between"));
  EXPECT_THAT(data_quality_summary(q), Not(HasSubstr("empty text")));
  q.summary.empty_text = 7;  // the terminal says what no split holds, as eval's note does
  q.summary.rows += 7;
  EXPECT_THAT(
      data_quality_summary(q),
      HasSubstr(fmt::format("note: 7 of the {} rows read have an empty text", q.summary.rows)));
  EXPECT_THAT(data_quality_markdown(q), HasSubstr("The share is an upper bound, however high"));
  EXPECT_THAT(data_quality_footer(q), HasSubstr("upper bound"));
  nlohmann::json j = q.to_json();
  EXPECT_EQ(j["label_noise"]["reading"], "upper bound");
  EXPECT_TRUE(j["label_noise"]["model_limited_by"].is_string());
  ASSERT_TRUE(j["label_noise"]["bound_reason"].is_string());
  EXPECT_THAT(j["label_noise"]["bound_reason"].get<std::string>(), HasSubstr("mistakes"));
  EXPECT_TRUE(j["high_quality_examples_high"].is_number());
}

TEST(Inspect, OneRowPerLabelGivesNoFigure) {
  // Two clean rows per label, one of them held out for test: each fold's judge never saw the
  // label of the row it scores, calls every label wrong, and once read "100% estimated wrong",
  // then "at most 0.0%" once such rows were left unjudged: with no label of two rows in train
  // there is nothing to judge, and no figure.
  TempDir dir;
  Examples rows;
  for (int label = 0; label < 12; ++label) {
    for (int copy = 0; copy < 2; ++copy) {
      Example e;
      e.text = fmt::format("topic{} word{} item{}", label, label * 7 % 5, copy);
      e.label = fmt::format("label_{}", label);
      rows.push_back(std::move(e));
    }
  }
  DataQuality q = inspect_split(dir, rows, 0.5);
  EXPECT_FALSE(q.noise.has_value());
  EXPECT_TRUE(q.to_json()["label_noise"].is_null());
  EXPECT_THAT(data_quality_summary(q),
              HasSubstr("label noise was not estimated (it needs two or more labels in train, one "
                        "of them with two or more rows)"));
  EXPECT_THAT(data_quality_summary(q), Not(HasSubstr("at most")));
}

TEST(Inspect, SaysHowManyRowsHaveNoLabel) {
  TempDir dir;
  auto data = testing::noisy_data(200, 4, 0.0, 3);
  for (std::size_t i = 0; i < 200; i += 20) data.rows[i].label = "";
  DataConfig config;
  config.path = dir.write("all.csv", csv_of(data.rows));
  config.label = "category";
  InspectOptions options;
  options.label_noise = false;
  DataQuality q = inspect_data(prepare_data(config), options);
  EXPECT_EQ(q.summary.unlabelled, 10u);
  EXPECT_THAT(data_quality_summary(q), HasSubstr("; 10 rows without a label left out"));
  EXPECT_THAT(data_quality_markdown(q), HasSubstr("10 rows have no label (measured)"));
  // Without the label-noise estimate nothing in the count is estimated.
  EXPECT_THAT(data_quality_summary(q), HasSubstr("high-quality examples (measured): "));
  EXPECT_THAT(data_quality_summary(q), Not(HasSubstr("(estimated)")));
  EXPECT_THAT(data_quality_markdown(q), HasSubstr("(measured: labelled rows minus near-duplicate"));
  EXPECT_THAT(data_quality_summary(q), HasSubstr("not estimated (--no-noise)"));
  // Asked for but impossible (one label): the reason is that, not a flag nobody gave.
  auto one = testing::noisy_data(60, 1, 0.0, 3);
  DataConfig single;
  single.path = dir.write("one.csv", csv_of(one.rows));
  single.label = "category";
  DataQuality q1 = inspect_data(prepare_data(single, /*evaluable=*/false), InspectOptions{});
  EXPECT_THAT(data_quality_summary(q1), HasSubstr("it needs two or more labels in train"));
}

TEST(Inspect, WritesTheSuspectListForAHuman) {
  TempDir dir;
  auto data = testing::noisy_data(400, 4, 0.10, 8);
  DataConfig config;
  config.path = dir.write("all.csv", csv_of(data.rows));
  config.label = "category";
  DataQuality q = inspect_data(prepare_data(config), InspectOptions{});
  write_data_quality(dir.path() / "out", q);
  std::ifstream in(dir.path() / "out" / "suspect_labels.csv");
  std::string header;
  std::getline(in, header);
  EXPECT_THAT(header, HasSubstr("id,text,given_label,suggested_label,confidence"));
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, q.suspects.size());
  EXPECT_GT(lines, 10u);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "out" / "data.json"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "out" / "data.md"));
  std::ifstream html(dir.path() / "out" / "data.html");
  std::string page((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_THAT(page, HasSubstr("<h2>Label noise (estimated)</h2>"));
  EXPECT_THAT(page, HasSubstr("suspect_labels.csv"));
}

}  // namespace
}  // namespace tunecase
