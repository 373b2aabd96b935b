// A fine-tuned approach's training cost comes from `tunecase finetune`'s record, measured.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/economics/inputs.h"

namespace tunecase::econ {
namespace {

namespace fs = std::filesystem;

class FinetuneRecord : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tunecase-ft-record-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write_record(const std::string& json) {
    fs::path file = dir_ / "finetune.json";
    std::ofstream(file) << json;
    return file;
  }

  ApproachInputs read(const fs::path& record, const std::string& extra = "") {
    std::string toml =
        "[data]\npath = \"t.csv\"\n[business]\nqueries_per_day = 1000\n"
        "cost_per_error_usd = 1\nengineer_usd_per_week = 4000\n[[approach]]\nname = "
        "\"tuned\"\nkind = \"openai\"\n"
        "model = \"ft:x\"\naccuracy = 0.9\nfinetune_record = \"" +
        record.string() + "\"\n" + extra;
    Scenario s = read_scenario(parse_config(toml, (dir_ / "p.toml").string()), nullptr);
    return s.approaches.at(0);
  }

  fs::path dir_;
};

TEST_F(FinetuneRecord, TrainingCostIsMeasuredAndARetrainIsOneMoreJob) {
  auto file = write_record(R"({"job": {"fine_tuned_model": "ft:x"}, "training_usd": 1.25,
                                "training_usd_is": "simulated"})");
  ApproachInputs a = read(file);
  EXPECT_DOUBLE_EQ(a.training_usd.get(), 1.25);
  EXPECT_EQ(a.training_usd.source, Source::measured);
  EXPECT_TRUE(a.training_usd.simulated);
  EXPECT_DOUBLE_EQ(a.retrain_usd.get(), 1.25);
  EXPECT_EQ(a.retrain_usd.source, Source::estimated);
  EXPECT_TRUE(a.trained);
  for (const auto& d : a.defaults_used) EXPECT_NE(d, "training_usd");
  // An explicit retrain_usd in the config is the user's and stays assumed.
  EXPECT_EQ(read(file, "retrain_usd = 9\n").retrain_usd.source, Source::assumed);
}

// A job whose provider reported no trained tokens: the record's estimate stands in, and decide
// calls it estimated, not measured.
TEST_F(FinetuneRecord, AnEstimateStandingInForUnreportedTokensIsEstimated) {
  auto file = write_record(R"({"job": {"fine_tuned_model": "ft:x", "trained_tokens": null},
                                "training_usd": 1.42, "training_usd_is": "estimated"})");
  ApproachInputs a = read(file);
  EXPECT_DOUBLE_EQ(a.training_usd.get(), 1.42);
  EXPECT_EQ(a.training_usd.source, Source::estimated);
}

TEST_F(FinetuneRecord, AnUnknownPriceStaysUnknown) {
  auto file = write_record(R"({"job": {"fine_tuned_model": "ft:x"}, "training_usd": null,
                                "training_usd_is": "unknown"})");
  EXPECT_FALSE(read(file).training_usd.known());
}

TEST_F(FinetuneRecord, AMissingRecordOrAnUnfinishedJobSaysWhatToRun) {
  try {
    read(dir_ / "nowhere.json");
    FAIL() << "a missing record was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("tunecase finetune"), std::string::npos) << e.what();
  }
  auto file = write_record(R"({"job": {"status": "running"}, "training_usd": null})");
  EXPECT_THROW(read(file), UserError);
  // A failed job is not followed: a re-run starts, and pays for, a new one.
  file = write_record(R"({"job": {"id": "ftjob-3", "status": "failed", "fine_tuned_model": null,
                                  "error": {"code": "x", "message": "too few examples"}}})");
  try {
    read(file);
    FAIL() << "a failed job's record was accepted";
  } catch (const UserError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("job ftjob-3 failed without a model: too few examples"), std::string::npos)
        << what;
    EXPECT_NE(what.find("new job"), std::string::npos) << what;
    EXPECT_EQ(what.find("follow"), std::string::npos) << what;
  }
}

// A record pasted from another run would price this model with another job's cost.
TEST_F(FinetuneRecord, ARecordOfAnotherModelIsRefused) {
  auto file = write_record(R"({"job": {"id": "ftjob-7", "fine_tuned_model": "ft:other"},
                                "training_usd": 0.02, "training_usd_is": "simulated"})");
  try {
    read(file);
    FAIL() << "the record of another model was accepted";
  } catch (const UserError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("ftjob-7"), std::string::npos) << what;
    EXPECT_NE(what.find("ft:other"), std::string::npos) << what;
    EXPECT_NE(what.find("calls ft:x"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace tunecase::econ
