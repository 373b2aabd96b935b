#include "tunecase/approaches/retrieval_classifier.h"
#include "tunecase/config/approach_settings.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

Example labelled(std::string text, std::string label) {
  Example e;
  e.text = std::move(text);
  e.label = std::move(label);
  return e;
}

ApproachConfig retrieval_config(nlohmann::json params = nlohmann::json::object()) {
  params["name"] = "knn";
  params["kind"] = "retrieval";
  return approach_from_json(params, "test.toml");
}

const std::vector<std::string> kLabels = {"billing", "login", "shipping"};

Examples toy_train() {
  return {labelled("my invoice shows the wrong amount", "billing"),
          labelled("charged twice on my credit card invoice", "billing"),
          labelled("please update the card on the invoice", "billing"),
          labelled("cannot log in, password rejected", "login"),
          labelled("password reset email never arrives", "login"),
          labelled("where is my parcel, tracking not updated", "shipping")};
}

class RetrievalToy : public ::testing::Test {
 protected:
  void SetUp() override {
    classifier = make_retrieval_classifier(retrieval_config({{"k", 3}}));
    classifier->train(toy_train(), {}, kLabels);
  }
  std::unique_ptr<Classifier> classifier;
};

TEST_F(RetrievalToy, VotesForNeighboursLabel) {
  EXPECT_EQ(classifier->classify("the invoice amount is wrong").label, "billing");
  EXPECT_EQ(classifier->classify("my password does not work").label, "login");
  EXPECT_EQ(classifier->classify("parcel tracking?").label, "shipping");
}

TEST_F(RetrievalToy, NoSharedWordFallsBackToMostFrequentLabel) {
  Prediction p = classifier->classify("zzz qqq");
  EXPECT_EQ(p.label, "billing");  // 3 of 6 train examples
  EXPECT_EQ(p.raw, "no-match");
  EXPECT_EQ(p.confidence, 0.0);  // no neighbour voted: abstain_below can send it to a human
  EXPECT_FALSE(p.error.has_value());
}

// A local model has no price per call (its hosting is a fixed bill, priced by eval and decide),
// like the other local kinds: the gateway's cost figures then read "none", not $0.
TEST_F(RetrievalToy, LocalPredictionHasNoPricePerCallAndIsTimed) {
  Prediction p = classifier->classify("invoice");
  EXPECT_FALSE(p.cost_usd.has_value());
  EXPECT_GE(p.latency_ms, 0.0);
  EXPECT_EQ(p.tokens_in, 0);
}

TEST(Retrieval, ScoreSumBeatsSingleBestHit) {
  // Two weaker "b" hits outweigh one strong "a" hit.
  std::vector<Bm25Index::Hit> hits = {{0, 3.0}, {1, 2.0}, {2, 2.0}};
  EXPECT_EQ(vote_label(hits, {"a", "b", "b"}), "b");
}

TEST(Retrieval, TieGoesToLabelOfBestHit) {
  std::vector<Bm25Index::Hit> hits = {{5, 2.0}, {1, 1.0}, {2, 1.0}};
  EXPECT_EQ(vote_label(hits, {"z", "a", "a"}), "z");
  EXPECT_EQ(vote_label({}, {}), "");
}

TEST(Retrieval, UnlabelledTrainRowsAreIgnored) {
  auto c = make_retrieval_classifier(retrieval_config({{"k", 1}}));
  c->train({labelled("refund my order please", ""), labelled("refund for order", "refund")}, {},
           {"refund"});
  EXPECT_EQ(c->classify("refund my order please").label, "refund");
}

TEST(Retrieval, EmptyTrainIsAUserError) {
  auto c = make_retrieval_classifier(retrieval_config());
  EXPECT_THROW(c->train({labelled("text only", "")}, {}, {}), UserError);
}

TEST(Retrieval, BadParamsAreUserErrors) {
  EXPECT_THROW(make_retrieval_classifier(retrieval_config({{"k", 0}})), UserError);
  EXPECT_THROW(make_retrieval_classifier(retrieval_config({{"b", 2.0}})), UserError);
  EXPECT_THROW(make_retrieval_classifier(retrieval_config({{"char_ngrams", {4, 2}}})), UserError);
  EXPECT_THROW(make_retrieval_classifier(retrieval_config({{"k", "five"}})), UserError);
  EXPECT_NO_THROW(make_retrieval_classifier(retrieval_config({{"char_ngrams", false}})));
}

TEST(Retrieval, DescribeReportsParams) {
  auto c = make_retrieval_classifier(retrieval_config({{"k", 7}, {"char_ngrams", {2, 5}}}));
  auto d = c->describe();
  EXPECT_EQ(d["k"], 7);
  EXPECT_EQ(d["char_ngrams"], nlohmann::json({2, 5}));
  EXPECT_DOUBLE_EQ(d["k1"].get<double>(), 1.2);
}

TEST(Retrieval, IndexParamsMatchTheApproachDefaults) {
  Bm25Params p = retrieval_config().retrieval.index;
  EXPECT_DOUBLE_EQ(p.k1, 1.2);
  EXPECT_DOUBLE_EQ(p.b, 0.75);
  EXPECT_EQ(p.char_ngram_min, 3);
  EXPECT_EQ(p.char_ngram_max, 4);
  EXPECT_DOUBLE_EQ(p.char_ngram_weight, 0.1);
  EXPECT_FALSE(retrieval_config({{"char_ngrams", false}}).retrieval.index.char_ngrams());
}

TEST(Retrieval, FindsNeighbourDespiteTypoWithDefaultCharNgrams) {
  auto c = make_retrieval_classifier(retrieval_config({{"k", 1}}));
  c->train(toy_train(), {}, kLabels);
  EXPECT_EQ(c->classify("pasword reset emial").label, "login");
  EXPECT_NE(c->classify("pasword").raw, "no-match");
}

class RetrievalFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir =
        std::filesystem::temp_directory_path() /
        ("tunecase_retrieval_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
};

TEST_F(RetrievalFiles, SaveLoadRoundTripGivesSamePredictions) {
  auto original = make_retrieval_classifier(
      retrieval_config({{"k", 2}, {"char_ngrams", {2, 3}}, {"char_ngram_max_df", 0.5}}));
  Examples train = toy_train();
  train.push_back(labelled("text with \"quotes\", commas\nand a newline", "shipping"));
  original->train(train, {}, kLabels);
  original->save(dir);

  auto loaded = make_retrieval_classifier(retrieval_config());  // defaults replaced by the saved
  loaded->load(dir);
  EXPECT_EQ(loaded->describe(), original->describe());
  for (const char* q : {"invoice wrong", "password", "tracking", "quotes newline", "nothing xyz"}) {
    Prediction a = original->classify(q), b = loaded->classify(q);
    EXPECT_EQ(a.label, b.label) << q;
    EXPECT_EQ(a.raw, b.raw) << q;
  }
}

TEST_F(RetrievalFiles, LoadFromEmptyFolderNamesTheFile) {
  auto c = make_retrieval_classifier(retrieval_config());
  try {
    c->load(dir);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("retrieval.json"), std::string::npos) << e.what();
  }
}

TEST_F(RetrievalFiles, CorruptExampleLineNamesFileAndLine) {
  auto c = make_retrieval_classifier(retrieval_config());
  c->train(toy_train(), {}, kLabels);
  c->save(dir);
  std::ofstream(dir / "retrieval_train.jsonl", std::ios::app) << "{\"text\": 3}\n";
  auto loaded = make_retrieval_classifier(retrieval_config());
  try {
    loaded->load(dir);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("retrieval_train.jsonl:7"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tunecase
