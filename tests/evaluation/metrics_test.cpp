#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tunecase/evaluation/eval_run.h"
#include "tunecase/evaluation/metrics.h"

namespace tunecase {
namespace {

std::vector<Prediction> predicted(const std::vector<std::string>& labels) {
  std::vector<Prediction> out;
  for (const auto& l : labels) {
    Prediction p;
    p.label = l;
    p.latency_ms = static_cast<double>(out.size() + 1);
    out.push_back(p);
  }
  return out;
}

TEST(QualityJson, CountsInvalidAndErrorsAsWrong) {
  std::vector<std::string> gold = {"a", "a", "b", "b"};
  auto p = predicted({"a", "a", "b", "b"});
  p[2].invalid = true;
  p[3].error = "HTTP 500 after 5 attempts";
  nlohmann::json q = quality_json(gold, p, {"a", "b"});
  EXPECT_EQ(q["n"], 4);
  EXPECT_DOUBLE_EQ(q["accuracy"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(q["invalid_rate"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(q["error_rate"].get<double>(), 0.25);
  // Failed requests have no latency; the other three are 1, 2, 3 ms.
  EXPECT_DOUBLE_EQ(q["latency_ms"]["p50"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(q["latency_ms"]["p99"].get<double>(), 3.0);
  EXPECT_EQ(q["confusion"]["matrix"][0][0], 2);
  EXPECT_EQ(q["per_class"]["b"]["support"], 2);
}

// A label neither in the test split nor predicted has no figures (null), and macro-F1 is the
// mean of the F1s the table gives.
TEST(QualityJson, ALabelNeitherInTestNorPredictedHasNoFigures) {
  std::vector<std::string> gold = {"a", "a", "b", "b"};
  nlohmann::json q = quality_json(gold, predicted({"a", "b", "b", "b"}), {"a", "b", "c"});
  EXPECT_TRUE(q["per_class"]["c"]["f1"].is_null());
  EXPECT_TRUE(q["per_class"]["c"]["precision"].is_null());
  EXPECT_EQ(q["per_class"]["c"]["support"], 0);
  double mean =
      (q["per_class"]["a"]["f1"].get<double>() + q["per_class"]["b"]["f1"].get<double>()) / 2;
  EXPECT_DOUBLE_EQ(q["macro_f1"].get<double>(), mean);
}

// Token means are over the answers that reported usage: a failure and an answer without a
// usage block are not zeros (they had pulled a mean of 150 down to 75).
TEST(QualityJson, TokenMeansAreOverTheAnswersThatReportedUsage) {
  std::vector<std::string> gold = {"a", "a", "b", "b"};
  auto p = predicted({"a", "a", "b", "b"});
  p[0].tokens_in = 100;
  p[0].tokens_out = 4;
  p[1].tokens_in = 200;
  p[1].tokens_out = 6;
  p[3].error = "HTTP 500 after 5 attempts";
  nlohmann::json q = quality_json(gold, p, {"a", "b"});
  EXPECT_DOUBLE_EQ(q["tokens_in_mean"].get<double>(), 150.0);
  EXPECT_DOUBLE_EQ(q["tokens_out_mean"].get<double>(), 5.0);
}

// One error quoting ids or counts from each body is one error: its items are counted together
// (it had filled the five samples, each counted once or twice).
TEST(ErrorSamples, ErrorsThatDifferOnlyInTheirDigitsAreOne) {
  std::vector<Prediction> p(7);
  for (std::size_t i = 0; i < 5; ++i)
    p[i].error = fmt::format("answered HTTP 200 without an answer: id chatcmpl-{}, {} tokens",
                             1000 + i, 20 + i);
  p[5].error = "timed out";
  p[6].error = "not run: budget reached";
  nlohmann::json samples = error_samples(p);
  ASSERT_EQ(samples.size(), 2u) << samples.dump();
  EXPECT_EQ(samples[0]["items"], 5);
  EXPECT_EQ(samples[0]["error"],
            "answered HTTP 200 without an answer: id chatcmpl-1000, 20 tokens");
  EXPECT_EQ(samples[1]["items"], 1);
}

TEST(QualityJson, IntervalContainsTheAccuracy) {
  std::vector<std::string> gold(50, "a");
  auto p = predicted(std::vector<std::string>(50, "a"));
  for (int i = 0; i < 10; ++i) p[i].label = "b";
  nlohmann::json q = quality_json(gold, p, {"a", "b"});
  double acc = q["accuracy"].get<double>();
  EXPECT_DOUBLE_EQ(acc, 0.8);
  EXPECT_LT(q["accuracy_ci95"][0].get<double>(), acc);
  EXPECT_GT(q["accuracy_ci95"][1].get<double>(), acc);
}

TEST(PairwiseJson, ComparesEveryPairOnce) {
  std::vector<bool> all(4, true);
  std::vector<ScoredApproach> s = {{"x", {true, true, false, true}, all},
                                   {"y", {true, false, false, false}, all},
                                   {"z", {false, true, true, true}, all}};
  nlohmann::json p = pairwise_json(s);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0]["a"], "x");
  EXPECT_EQ(p[0]["b"], "y");
  EXPECT_EQ(p[0]["a_only_correct"], 2);
  EXPECT_EQ(p[0]["b_only_correct"], 0);
  EXPECT_EQ(p[2]["a"], "y");
  EXPECT_EQ(p[2]["b"], "z");
}

TEST(QualityJson, LeavesItemsTheBudgetStoppedOutOfEveryFigure) {
  std::vector<std::string> gold = {"a", "b", "a", "b"};
  auto p = predicted({"a", "b", "", ""});
  p[2].error = "not run: budget reached";
  p[3].error = "not run: budget reached";
  nlohmann::json q = quality_json(gold, p, {"a", "b"});
  EXPECT_EQ(q["n"], 2);
  EXPECT_EQ(q["not_run"], 2);
  EXPECT_DOUBLE_EQ(q["accuracy"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(q["error_rate"].get<double>(), 0.0);
}

TEST(PairwiseJson, ComparesOnlyItemsBothRan) {
  std::vector<ScoredApproach> s = {{"x", {true, true, false}, {true, true, true}},
                                   {"y", {false, false, false}, {true, false, false}}};
  nlohmann::json p = pairwise_json(s);
  EXPECT_EQ(p[0]["n"], 1);
  EXPECT_EQ(p[0]["a_only_correct"], 1);
}

TEST(QualityJson, MarksAPartialRunWithScoredAndNotRunCounts) {
  std::vector<std::string> gold = {"a", "b", "a", "b"};
  auto p = predicted({"a", "b", "", ""});
  p[2].error = "not run: budget reached";
  p[3].error = "not run: budget reached";
  nlohmann::json q = quality_json(gold, p, {"a", "b"});
  EXPECT_EQ(q["partial"], true);
  EXPECT_EQ(q["scored"], 2);
  EXPECT_EQ(q["n"], q["scored"]);
  EXPECT_EQ(q["not_run_reason"], "budget reached");

  nlohmann::json whole = quality_json(gold, predicted(gold), {"a", "b"});
  EXPECT_EQ(whole["partial"], false);
  EXPECT_EQ(whole["scored"], 4);
  EXPECT_EQ(whole["not_run"], 0);
  EXPECT_FALSE(whole.contains("not_run_reason"));
}

TEST(PairwiseJson, SaysWhenItComparesOnlyTheCommonScoredItems) {
  std::vector<bool> all(3, true);
  std::vector<ScoredApproach> s = {{"x", {true, true, false}, all},
                                   {"y", {false, false, false}, {true, true, false}},
                                   {"z", {true, true, true}, all}};
  nlohmann::json p = pairwise_json(s);
  EXPECT_EQ(p[0]["compared_on"], "common_scored_items");
  EXPECT_EQ(p[0]["n"], 2);
  EXPECT_NE(p[0]["note"].get<std::string>().find("y scored 2"), std::string::npos) << p[0];
  EXPECT_EQ(p[1]["compared_on"], "all_items");  // x and z: both complete
  EXPECT_FALSE(p[1].contains("note"));
}

TEST(PairwiseJson, OmitsTheTestWhenNoItemWasScoredByBoth) {
  std::vector<ScoredApproach> s = {{"x", {true, false}, {true, false}},
                                   {"y", {false, true}, {false, true}}};
  nlohmann::json p = pairwise_json(s);
  EXPECT_TRUE(p[0]["mcnemar_p"].is_null());
  EXPECT_EQ(p[0]["n"], 0);
  EXPECT_TRUE(p[0]["omitted"].is_string());
}

}  // namespace
}  // namespace tunecase
