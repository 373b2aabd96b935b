#include "tunecase/approaches/linear_classifier.h"
#include "tunecase/config/approach_settings.h"

#include <filesystem>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

// Six intents, each with its own keywords, in sentences built from shared filler words: a
// separable problem where only the keywords tell the labels apart.
Examples toy_intents(int per_label, unsigned seed) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> intents = {
      {"billing", {"invoice", "charged", "payment"}},
      {"login", {"password", "signin", "locked"}},
      {"shipping", {"parcel", "delivery", "courier"}},
      {"refund", {"refund", "reimburse", "money back"}},
      {"bug report", {"crash", "error", "broken"}},
      {"cancellation", {"cancel", "unsubscribe", "terminate"}}};
  const std::vector<std::string> openers = {"hi", "hello", "please help", "urgent", "hey team"};
  const std::vector<std::string> fillers = {"my",   "the",   "account",   "today", "again",
                                            "with", "since", "yesterday", "order", "thanks"};
  std::mt19937 rng(seed);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  Examples out;
  for (int i = 0; i < per_label; ++i) {
    for (const auto& [label, keywords] : intents) {
      Example e;
      e.text = fmt::format("{} {} {} {} {} {}", pick(openers), pick(fillers), pick(keywords),
                           pick(fillers), pick(fillers), pick(fillers));
      e.label = label;
      out.push_back(e);
    }
  }
  return out;
}

std::vector<std::string> toy_labels() {
  return {"billing", "bug report", "cancellation", "login", "refund", "shipping"};
}

ApproachConfig linear_config(nlohmann::json params = nlohmann::json::object()) {
  params["name"] = "local-linear";
  params["kind"] = "linear";
  return approach_from_json(params, "test.toml");
}

double accuracy(Classifier& classifier, const Examples& test) {
  int correct = 0;
  for (const auto& e : test) correct += classifier.classify(e.text).label == e.label;
  return static_cast<double>(correct) / static_cast<double>(test.size());
}

TEST(Linear, LearnsASeparableToyProblem) {
  auto classifier = make_linear_classifier(linear_config());
  classifier->train(toy_intents(40, 1), {}, toy_labels());
  EXPECT_GE(accuracy(*classifier, toy_intents(20, 2)), 0.99);
}

TEST(Linear, LogisticRegressionLearnsItToo) {
  auto classifier = make_linear_classifier(linear_config({{"model", "logreg"}}));
  classifier->train(toy_intents(40, 1), {}, toy_labels());
  EXPECT_GE(accuracy(*classifier, toy_intents(20, 2)), 0.99);
  EXPECT_EQ(classifier->describe()["solver"], "L2R_LR");
}

TEST(Linear, PredictionCarriesLabelAndLatency) {
  auto classifier = make_linear_classifier(linear_config());
  classifier->train(toy_intents(10, 1), {}, toy_labels());
  Prediction p = classifier->classify("my parcel never arrived, where is the courier");
  EXPECT_EQ(p.label, "shipping");
  EXPECT_GT(p.latency_ms, 0);
  EXPECT_FALSE(p.error.has_value());
}

TEST(Linear, ParallelClassesGiveTheSameModelAsOneThread) {
  auto one = make_linear_classifier(linear_config({{"threads", 1}}));
  auto two = make_linear_classifier(linear_config({{"threads", 2}}));
  Examples train = toy_intents(30, 3);
  one->train(train, {}, toy_labels());
  two->train(train, {}, toy_labels());
  for (const auto& e : toy_intents(20, 4)) {
    Prediction a = one->classify(e.text);
    Prediction b = two->classify(e.text);
    EXPECT_EQ(a.label, b.label) << e.text;
    EXPECT_EQ(a.confidence, b.confidence) << e.text;  // the same weights, bit for bit
  }
}

TEST(Linear, SaveThenLoadGivesIdenticalPredictions) {
  auto trained = make_linear_classifier(linear_config({{"search_c", true}}));
  trained->train(toy_intents(20, 1), toy_intents(5, 9), toy_labels());
  auto dir = std::filesystem::temp_directory_path() / "tunecase_linear_save_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  trained->save(dir);
  auto loaded = make_linear_classifier(linear_config());
  loaded->load(dir);
  std::filesystem::remove_all(dir);
  for (const auto& e : toy_intents(10, 5)) {
    EXPECT_EQ(trained->classify(e.text).label, loaded->classify(e.text).label);
  }
  EXPECT_EQ(loaded->classify("nothing known here zzz").label,
            trained->classify("nothing known here zzz").label);
  EXPECT_EQ(loaded->describe()["C"], trained->describe()["C"]);
}

TEST(Linear, LoadFromAnEmptyFolderIsAUserError) {
  auto dir = std::filesystem::temp_directory_path() / "tunecase_linear_empty_test";
  std::filesystem::create_directories(dir);
  auto classifier = make_linear_classifier(linear_config());
  EXPECT_THROW(classifier->load(dir), UserError);
  std::filesystem::remove_all(dir);
}

TEST(Linear, SearchCPicksAGridValueByDevAccuracy) {
  auto classifier = make_linear_classifier(linear_config({{"search_c", true}, {"C", 7}}));
  classifier->train(toy_intents(20, 1), toy_intents(10, 8), toy_labels());
  nlohmann::json d = classifier->describe();
  ASSERT_TRUE(d.contains("dev_accuracy_by_C"));
  EXPECT_EQ(d["dev_accuracy_by_C"].size(), std::size(kLinearCGrid));
  double chosen = d["C"].get<double>();
  EXPECT_NE(std::find(std::begin(kLinearCGrid), std::end(kLinearCGrid), chosen),
            std::end(kLinearCGrid));
  // The chosen C has the best dev accuracy, and no smaller C ties it.
  double best = d["dev_accuracy_by_C"][fmt::format("{:g}", chosen)].get<double>();
  for (double c : kLinearCGrid) {
    double acc = d["dev_accuracy_by_C"][fmt::format("{:g}", c)].get<double>();
    EXPECT_LE(acc, best);
    if (c < chosen) {
      EXPECT_LT(acc, best);
    }
  }
}

TEST(Linear, SearchCNeedsADevSplit) {
  auto classifier = make_linear_classifier(linear_config({{"search_c", true}, {"C", 7}}));
  classifier->train(toy_intents(10, 1), {}, toy_labels());
  EXPECT_EQ(classifier->describe()["C"], 7.0);
  EXPECT_FALSE(classifier->describe().contains("dev_accuracy_by_C"));
}

TEST(Linear, DescribeReportsTheHyperParameters) {
  auto classifier = make_linear_classifier(
      linear_config({{"word_ngrams", {1, 3}}, {"char_ngrams", {3, 4}}, {"min_df", 2}}));
  classifier->train(toy_intents(10, 1), {}, toy_labels());
  nlohmann::json d = classifier->describe();
  EXPECT_EQ(d["model"], "svm");
  EXPECT_EQ(d["C"], 1.0);
  EXPECT_EQ(d["word_ngrams"], nlohmann::json({1, 3}));
  EXPECT_EQ(d["char_ngrams"], nlohmann::json({3, 4}));
  EXPECT_EQ(d["min_df"], 2);
  EXPECT_GT(d["features"].get<int>(), 0);
}

TEST(Linear, BadParametersAreUserErrors) {
  for (const nlohmann::json& params : std::vector<nlohmann::json>{{{"model", "tree"}},
                                                                  {{"C", 0}},
                                                                  {{"C", "big"}},
                                                                  {{"word_ngrams", {2, 1}}},
                                                                  {{"word_ngrams", 2}},
                                                                  {{"char_ngrams", {0, 3}}},
                                                                  {{"min_df", 0}},
                                                                  {{"threads", 0}},
                                                                  {{"search_c", "yes"}}}) {
    EXPECT_THROW(make_linear_classifier(linear_config(params)), UserError) << params.dump();
  }
}

TEST(Linear, MessageNamesTheApproachAndTheKey) {
  try {
    make_linear_classifier(linear_config({{"model", "tree"}}));
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("local-linear"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("model"), std::string::npos);
  }
}

TEST(Linear, EmptyTrainSplitIsAUserError) {
  auto classifier = make_linear_classifier(linear_config());
  EXPECT_THROW(classifier->train({}, {}, toy_labels()), UserError);
}

}  // namespace
}  // namespace tunecase
