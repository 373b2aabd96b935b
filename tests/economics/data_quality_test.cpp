// The checklist and the memo fed from the data-quality report (eval.json's dataset.quality).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/economics/decide.h"
#include "tunecase/economics/recommendation.h"

namespace tunecase::econ {
namespace {

using ::testing::HasSubstr;

const char* kConfig = R"(
[data]
path = "tickets.csv"
[business]
queries_per_day = 10000
cost_per_error_usd = 1.5
engineer_usd_per_week = 4000
baseline = "api-zero-shot"
[[approach]]
name = "api-zero-shot"
kind = "openai"
[[approach]]
name = "api-retrieval"
kind = "openai"
[[approach]]
name = "local-linear"
kind = "linear"
[[approach]]
name = "api-unpriced"
kind = "openai"
)";

// The eval fixture (1,000 labelled rows) with a quality report of `noise` estimated wrong labels
// and 30 near-duplicate rows.
// With `model_limited` the noise figure is an upper bound (tunecase inspect): the count is a
// range, from 1,000 - noise - 30 to 1,000 - 30.
Decision decide_with_noise(double noise, bool model_limited = false) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  double good = 1000 - noise * 1000 - 30;
  eval["dataset"]["quality"] = {
      {"high_quality_examples", good},
      {"high_quality_examples_high", model_limited ? nlohmann::json(970) : nullptr},
      {"duplicates",
       {{"train_near_redundant_rows", 20}, {"test_near_leaked", 8}, {"dev_near_leaked", 2}}},
      {"label_noise",
       {{"estimate", noise},
        {"ci95", {noise - 0.01, noise + 0.01}},
        {"model_limited", model_limited},
        {"judge_accuracy", 0.7}}}};
  return decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval));
}

bool any_risk_mentions(const Decision& d, const std::string& text) {
  for (const auto& r : d.risks)
    if (r.find(text) != std::string::npos) return true;
  return false;
}

TEST(DataQuality, QuestionOneCountsHighQualityExamplesAndSaysSo) {
  Decision d = decide_with_noise(0.1);
  const ChecklistItem& q1 = d.checklist.items[0];
  EXPECT_EQ(q1.source, "estimated");
  EXPECT_THAT(q1.evidence, HasSubstr("870 high-quality examples"));
  EXPECT_THAT(q1.evidence, HasSubstr("1,000 labelled rows minus about 100 estimated wrong labels"));
  EXPECT_THAT(q1.evidence, HasSubstr("30 near-duplicate rows"));
  EXPECT_EQ(q1.answer, true);
}

TEST(DataQuality, TooFewHighQualityExamplesAnswerNo) {
  Decision d = decide_with_noise(0.5);  // 1,000 - 500 - 30 = 470, under 500
  EXPECT_EQ(d.checklist.items[0].answer, false);
}

TEST(DataQuality, AnUpperBoundOnNoiseGivesARangeAndAnAnswerOnlyWhenBothEndsAgree) {
  // 1,000 - 500 - 30 = 470 to 970: one end under 500, the other over: not known.
  Decision wide = decide_with_noise(0.5, true);
  const ChecklistItem& straddling = wide.checklist.items[0];
  EXPECT_FALSE(straddling.answer.has_value());
  EXPECT_THAT(straddling.evidence, HasSubstr("between 470 and 970 high-quality examples"));
  EXPECT_THAT(straddling.evidence, HasSubstr("up to 500 wrong labels (an upper bound"));
  // 870 to 970: yes either way.
  EXPECT_EQ(decide_with_noise(0.1, true).checklist.items[0].answer, true);
  // The memo does not call an upper bound a finding.
  Decision d = decide_with_noise(0.4, true);
  EXPECT_FALSE(any_risk_mentions(d, "training labels are estimated wrong"));
  EXPECT_TRUE(any_risk_mentions(d, "at most 40.0%, an upper bound"));
  EXPECT_TRUE(any_risk_mentions(d, "agrees with only 70.0% of them"));
}

TEST(DataQuality, TheMemoAndChecklistQuoteTheReasonTheBoundGives) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  const std::string why =
      "it calls more labels wrong than the model judging them even disputes (3.4%): much of it "
      "is that model's own confident mistakes";
  eval["dataset"]["quality"] = {{"high_quality_examples", 400},
                                {"high_quality_examples_high", 970},
                                {"duplicates", {{"train_near_redundant_rows", 30}}},
                                {"label_noise",
                                 {{"estimate", 0.57},
                                  {"ci95", {0.0, 0.62}},
                                  {"model_limited", true},
                                  {"model_limited_by", "exceeds_disagreement"},
                                  {"bound_reason", why},
                                  {"judge_accuracy", 0.966}}}};
  Decision d = decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval));
  EXPECT_TRUE(any_risk_mentions(d, "an upper bound, because " + why));
  EXPECT_FALSE(any_risk_mentions(d, "agrees with only"));
  EXPECT_THAT(d.checklist.items[0].evidence, HasSubstr("(an upper bound: " + why + "; data.md)"));
}

TEST(DataQuality, MemoNamesANoiseRateAboveTheStatedLevel) {
  EXPECT_TRUE(any_risk_mentions(decide_with_noise(0.12), "About 12.0% of the training labels"));
  EXPECT_TRUE(any_risk_mentions(decide_with_noise(0.12), "above the 5% level"));
  EXPECT_FALSE(any_risk_mentions(decide_with_noise(0.03), "training labels are estimated wrong"));
}

// Labels under the data check's minimum of training rows are named, fewest first (the memo had
// said nothing of them); none under it, no such risk.
TEST(DataQuality, MemoNamesLabelsWithTooFewTrainingRows) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  eval["dataset"]["quality"] = {
      {"balance",
       {{"min_label_count", 10},
        {"train_counts", {{"billing", 400}, {"fraud", 3}, {"gdpr request", 7}}},
        {"below_min", {"fraud", "gdpr request"}}}}};
  Decision d = decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval));
  EXPECT_TRUE(any_risk_mentions(
      d,
      "2 labels have fewer than 10 training rows: \"fraud\" (3 rows), \"gdpr request\" (7 rows)"));
  eval["dataset"]["quality"]["balance"]["below_min"] = nlohmann::json::array();
  EXPECT_FALSE(any_risk_mentions(
      decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval)), "training rows:"));
  // eval --no-inspect writes no quality report: the split's own count still names them.
  eval["dataset"].erase("quality");
  eval["dataset"]["thin_train_labels"] = {"press (2)", "legal (5)"};
  EXPECT_TRUE(any_risk_mentions(decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval)),
                                "2 labels have fewer than 10 training rows: press (2), legal (5)"));
}

// Spellings of one label kept apart ("billing", "BILLING"): the memo names them and the setting
// that merges them (it had blamed wrong labels instead); merged by eval, no such risk.
TEST(DataQuality, MemoNamesLabelSpellingsKeptApart) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  eval["dataset"]["label_variants"] = {
      {{"label", "billing"}, {"spellings", {{"billing", 49}, {"BILLING", 26}, {"Billing", 24}}}},
      {{"label", "3"}, {"spellings", {{"3", 10}, {"3.0", 1}}}}};
  eval["dataset"]["labels_normalized"] = false;
  Decision d = decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval));
  EXPECT_TRUE(any_risk_mentions(d, "2 labels are written in several spellings"));
  EXPECT_TRUE(any_risk_mentions(
      d,
      "[\"billing\" (49 rows), \"BILLING\" (26 rows), \"Billing\" (24 rows)]; [\"3\" (10 rows), "
      "\"3.0\" (1 row)]"));
  EXPECT_TRUE(any_risk_mentions(d, "Set [data] normalize_labels = true"));
  eval["dataset"]["quality"] = {{"high_quality_examples", 400},
                                {"duplicates", nlohmann::json::object()}};
  Decision with_quality = decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval));
  EXPECT_NE(
      with_quality.checklist.items.at(0).evidence.find(
          "2 labels written in several spellings kept apart inflate the wrong-label estimate"),
      std::string::npos)
      << with_quality.checklist.items.at(0).evidence;
  eval["dataset"].erase("quality");
  eval["dataset"]["labels_normalized"] = true;
  EXPECT_FALSE(any_risk_mentions(
      decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval)), "several spellings"));
}

}  // namespace
}  // namespace tunecase::econ
