#include "tunecase/approaches/fasttext_classifier.h"
#include "tunecase/config/approach_settings.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

// Six intents (one label with a space in it), each with its own keywords, in sentences built
// from shared filler words.
Examples toy_intents(int per_label, unsigned seed) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> intents = {
      {"billing", {"invoice", "charged", "payment"}},
      {"login", {"password", "signin", "locked"}},
      {"shipping", {"parcel", "delivery", "courier"}},
      {"refund", {"refund", "reimburse", "money back"}},
      {"bug report", {"crash", "error", "broken"}},
      {"cancellation", {"cancel", "unsubscribe", "terminate"}}};
  const std::vector<std::string> fillers = {"my",   "the",   "account",   "today", "again",
                                            "with", "since", "yesterday", "order", "thanks"};
  std::mt19937 rng(seed);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  Examples out;
  for (int i = 0; i < per_label; ++i) {
    for (const auto& [label, keywords] : intents) {
      Example e;
      e.text =
          fmt::format("{} {} {} {}", pick(fillers), pick(keywords), pick(fillers), pick(fillers));
      e.label = label;
      out.push_back(e);
    }
  }
  return out;
}

std::vector<std::string> toy_labels() {
  return {"billing", "bug report", "cancellation", "login", "refund", "shipping"};
}

// One thread and a seed: fastText is then deterministic.
ApproachConfig fasttext_config(nlohmann::json params = nlohmann::json::object()) {
  nlohmann::json p = {{"name", "local-fasttext"},
                      {"kind", "fasttext"},
                      {"threads", 1},
                      {"seed", 3},
                      {"epoch", 30},
                      {"dim", 20},
                      {"bucket", 20000}};
  p.update(params);
  return approach_from_json(p, "test.toml");
}

double accuracy(Classifier& classifier, const Examples& test) {
  int correct = 0;
  for (const auto& e : test) correct += classifier.classify(e.text).label == e.label;
  return static_cast<double>(correct) / static_cast<double>(test.size());
}

TEST(Fasttext, LearnsAToyProblemQuietly) {
  auto classifier = make_fasttext_classifier(fasttext_config());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  classifier->train(toy_intents(40, 1), {}, toy_labels());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_GE(accuracy(*classifier, toy_intents(20, 2)), 0.95);
}

TEST(Fasttext, LabelWithASpaceComesBackWhole) {
  auto classifier = make_fasttext_classifier(fasttext_config());
  classifier->train(toy_intents(40, 1), {}, toy_labels());
  EXPECT_EQ(classifier->classify("the app shows an error and then a crash").label, "bug report");
}

TEST(Fasttext, TextWithNoTokenGetsTheMostFrequentLabel) {
  Examples train = toy_intents(20, 1);
  for (int i = 0; i < 10; ++i) train.push_back({"", "please refund me", "refund", "", 0});
  auto classifier = make_fasttext_classifier(fasttext_config());
  classifier->train(train, {}, toy_labels());
  EXPECT_EQ(classifier->classify("?!").label, "refund");
}

TEST(Fasttext, SaveThenLoadGivesIdenticalPredictions) {
  auto trained = make_fasttext_classifier(fasttext_config());
  trained->train(toy_intents(30, 1), {}, toy_labels());
  auto dir = std::filesystem::temp_directory_path() / "tunecase_fasttext_save_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  trained->save(dir);
  EXPECT_TRUE(std::filesystem::exists(dir / "model.bin"));
  auto loaded = make_fasttext_classifier(fasttext_config());
  loaded->load(dir);
  std::filesystem::remove_all(dir);
  for (const auto& e : toy_intents(10, 5)) {
    EXPECT_EQ(trained->classify(e.text).label, loaded->classify(e.text).label);
  }
  EXPECT_EQ(loaded->describe()["dim"], 20);
}

TEST(Fasttext, LoadFromAnEmptyFolderIsAUserError) {
  auto dir = std::filesystem::temp_directory_path() / "tunecase_fasttext_empty_test";
  std::filesystem::create_directories(dir);
  auto classifier = make_fasttext_classifier(fasttext_config());
  EXPECT_THROW(classifier->load(dir), UserError);
  std::filesystem::remove_all(dir);
}

void cut_short(const std::filesystem::path& file, std::uintmax_t drop_bytes) {
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - drop_bytes);
}

std::filesystem::path saved_toy_model(const std::string& folder) {
  auto trained = make_fasttext_classifier(fasttext_config());
  trained->train(toy_intents(30, 1), {}, toy_labels());
  auto dir = std::filesystem::temp_directory_path() / folder;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  trained->save(dir);
  return dir;
}

TEST(Fasttext, SaveLeavesOnlyTheFinishedModelFile) {
  auto dir = saved_toy_model("tunecase_fasttext_partial_test");
  EXPECT_TRUE(std::filesystem::exists(dir / "model.bin"));
  EXPECT_FALSE(std::filesystem::exists(dir / "model.bin.partial"));
  std::filesystem::remove_all(dir);
}

TEST(Fasttext, ATruncatedModelFileIsAUserErrorNotACrash) {
  auto dir = saved_toy_model("tunecase_fasttext_truncated_test");
  // Into the last label's output row: the shapes still fit, only the saved size tells.
  cut_short(dir / "model.bin", 40);
  auto classifier = make_fasttext_classifier(fasttext_config());
  try {
    classifier->load(dir);
    ADD_FAILURE() << "a truncated model.bin loaded";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("re-train"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(Fasttext, ATruncatedModelWithoutARecordedSizeIsAUserError) {
  auto dir = saved_toy_model("tunecase_fasttext_truncated_old_test");
  nlohmann::json meta;
  {
    std::ifstream in(dir / "fasttext.json");
    meta = nlohmann::json::parse(in);
  }
  meta.erase("model_bytes");  // as models saved before the size was recorded
  std::ofstream(dir / "fasttext.json") << meta.dump();
  cut_short(dir / "model.bin", std::filesystem::file_size(dir / "model.bin") / 2);
  auto classifier = make_fasttext_classifier(fasttext_config());
  EXPECT_THROW(classifier->load(dir), UserError);
  std::filesystem::remove_all(dir);
}

TEST(Fasttext, AutotuneOnDevStaysWithinItsBudget) {
  auto classifier = make_fasttext_classifier(fasttext_config({{"autotune_seconds", 2}}));
  ::testing::internal::CaptureStderr();
  auto start = std::chrono::steady_clock::now();
  classifier->train(toy_intents(20, 1), toy_intents(17, 7), toy_labels());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  nlohmann::json d = classifier->describe();
  EXPECT_TRUE(d["autotuned"].get<bool>());
  EXPECT_GE(d["autotune_trials"].get<int>(), 1);
  EXPECT_GE(d["dev_accuracy"].get<double>(), 0.9);
  EXPECT_LT(seconds, 6);  // 2 s of budget; the slack is for a loaded machine
  EXPECT_GE(accuracy(*classifier, toy_intents(10, 2)), 0.9);
}

// 30 dev rows cannot rank candidates: the configured options are trained, scored on dev and
// refit on train + dev, and describe() says why there was no search.
TEST(Fasttext, ASmallDevSplitSkipsTheSearch) {
  auto classifier = make_fasttext_classifier(fasttext_config({{"autotune_seconds", 60}}));
  Examples dev = toy_intents(5, 7);
  ASSERT_LT(dev.size(), kMinSearchDevRows);
  classifier->train(toy_intents(20, 1), dev, toy_labels());
  nlohmann::json d = classifier->describe();
  EXPECT_FALSE(d["autotuned"].get<bool>());
  EXPECT_EQ(d["autotune_trials"], 1);
  EXPECT_EQ(d["search_skipped_dev_rows"], dev.size());
  EXPECT_EQ(d["epoch"], 30);  // the configured options
  EXPECT_GE(d["dev_accuracy"].get<double>(), 0.9);
  EXPECT_TRUE(d["refit_on_train_and_dev"].get<bool>());
  EXPECT_GE(accuracy(*classifier, toy_intents(10, 2)), 0.9);
}

TEST(Fasttext, WithoutADevSplitTheConfiguredOptionsAreTrained) {
  auto classifier = make_fasttext_classifier(fasttext_config({{"autotune_seconds", 60}}));
  classifier->train(toy_intents(20, 1), {}, toy_labels());
  nlohmann::json d = classifier->describe();
  EXPECT_FALSE(d["autotuned"].get<bool>());
  EXPECT_EQ(d["epoch"], 30);
  EXPECT_EQ(d["dim"], 20);
}

TEST(Fasttext, AutotunedChoiceSurvivesSaveAndLoad) {
  auto trained =
      make_fasttext_classifier(fasttext_config({{"autotune_seconds", 2}, {"autotune_trials", 4}}));
  trained->train(toy_intents(20, 1), toy_intents(17, 7), toy_labels());
  auto dir = std::filesystem::temp_directory_path() / "tunecase_fasttext_autotune_save_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  trained->save(dir);
  auto loaded = make_fasttext_classifier(fasttext_config());
  loaded->load(dir);
  std::filesystem::remove_all(dir);
  for (const char* key : {"epoch", "lr", "dim", "minn", "maxn", "loss", "autotune_trials"}) {
    EXPECT_EQ(trained->describe()[key], loaded->describe()[key]) << key;
  }
}

TEST(Fasttext, SearchCandidatesStartWithTheBaseAndKeepMemoryBounded) {
  FasttextOptions base;
  base.bucket = 12345;
  base.threads = 3;
  auto candidates = fasttext_search_candidates(base, 12);
  ASSERT_EQ(candidates.size(), 12u);
  EXPECT_EQ(candidates[0].epoch, base.epoch);
  EXPECT_EQ(candidates[0].loss, base.loss);
  std::set<std::string> distinct;
  for (const auto& c : candidates) {
    EXPECT_EQ(c.bucket, 12345);
    EXPECT_EQ(c.threads, 3);
    EXPECT_LE(c.dim, 100);
    EXPECT_TRUE(c.maxn == 0 || c.minn <= c.maxn);
    distinct.insert(fmt::format("{} {} {} {} {} {} {}", c.epoch, c.lr, c.minn, c.maxn,
                                c.word_ngrams, c.loss, c.dim));
  }
  EXPECT_EQ(distinct.size(), candidates.size());
  EXPECT_EQ(fasttext_search_candidates(base, 1).size(), 1u);
}

TEST(Fasttext, DefaultsAreDescribed) {
  ApproachConfig c = default_approach("ft", "fasttext");
  nlohmann::json d = make_fasttext_classifier(c)->describe();
  FasttextOptions defaults;
  EXPECT_EQ(d["epoch"], defaults.epoch);
  EXPECT_EQ(d["loss"], defaults.loss);
  EXPECT_EQ(d["threads"], 2);
  EXPECT_FALSE(d["autotuned"].get<bool>());
}

TEST(Fasttext, BadParametersAreUserErrors) {
  for (const nlohmann::json& params : std::vector<nlohmann::json>{{{"epoch", 0}},
                                                                  {{"lr", -1}},
                                                                  {{"lr", "fast"}},
                                                                  {{"loss", "hinge"}},
                                                                  {{"dim", 0}},
                                                                  {{"minn", 5}, {"maxn", 3}},
                                                                  {{"threads", 0}},
                                                                  {{"autotune_seconds", -1}},
                                                                  {{"autotune_trials", 0}},
                                                                  {{"word_ngrams", 1.5}}}) {
    EXPECT_THROW(make_fasttext_classifier(fasttext_config(params)), UserError) << params.dump();
  }
}

TEST(Fasttext, TrainSplitWithoutWordsIsAUserError) {
  auto classifier = make_fasttext_classifier(fasttext_config());
  Examples train = {{"", "!!!", "billing", "", 0}, {"", "...", "login", "", 0}};
  EXPECT_THROW(classifier->train(train, {}, toy_labels()), UserError);
}

}  // namespace
}  // namespace tunecase
