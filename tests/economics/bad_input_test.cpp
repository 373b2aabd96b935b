// Inputs a user can get wrong: each is a UserError naming the key, never a silent zero.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/economics/decide.h"
#include "tunecase/economics/inputs.h"

namespace tunecase::econ {
namespace {

const std::string kApproaches = R"(
[[approach]]
name = "api"
kind = "openai"
accuracy = 0.7
usd_per_query = 0.01
[[approach]]
name = "tuned"
kind = "openai"
trained = true
accuracy = 0.8
usd_per_query = 0.001
)";

const std::string kBusiness = R"(
[business]
queries_per_day = 1000
cost_per_error_usd = 2
engineer_usd_per_week = 5000
)";

// The UserError message read_scenario throws for this config text ("" when none).
std::string error_for(const std::string& body, const nlohmann::json* eval = nullptr) {
  try {
    read_scenario(parse_config("[data]\npath = \"x.csv\"\n" + body, "bad.toml"), eval);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(BadInput, ValidConfigIsAccepted) {
  EXPECT_EQ(error_for(kBusiness + kApproaches), "");
}

TEST(BadInput, MissingBusinessTableSaysWhatToAdd) {
  EXPECT_NE(error_for(kApproaches).find("no [business] table"), std::string::npos);
}

TEST(BadInput, MissingVolumeIsAnError) {
  std::string e = error_for(R"(
[business]
cost_per_error_usd = 2
engineer_usd_per_week = 5000
)" + kApproaches);
  EXPECT_NE(e.find("queries_per_day is missing"), std::string::npos) << e;
}

TEST(BadInput, MissingCostOfAnErrorIsAnError) {
  std::string e = error_for(R"(
[business]
queries_per_day = 1000
engineer_usd_per_week = 5000
)" + kApproaches);
  EXPECT_NE(e.find("cost_per_error_usd is missing"), std::string::npos) << e;
}

TEST(BadInput, NegativeInputNamesTheKey) {
  std::string e = error_for(R"(
[business]
queries_per_day = 1000
cost_per_error_usd = -2
engineer_usd_per_week = 5000
)" + kApproaches);
  EXPECT_NE(e.find("bad.toml:6: [business] cost_per_error_usd: must be >= 0, not -2"),
            std::string::npos)
      << e;
}

TEST(BadInput, NegativeApproachCostNamesTheApproach) {
  std::string e = error_for(kBusiness + kApproaches + "engineering_weeks = -1\n");
  EXPECT_NE(e.find("'tuned'"), std::string::npos) << e;
  EXPECT_NE(e.find("engineering_weeks"), std::string::npos) << e;
}

TEST(BadInput, RateAboveOneIsAnError) {
  std::string e = error_for(kBusiness + R"(
[[approach]]
name = "api"
kind = "openai"
accuracy = 84
)");
  EXPECT_NE(e.find("accuracy: must be from 0 to 1, not 84"), std::string::npos) << e;
}

TEST(BadInput, ScenarioWithoutAccuracyIsAnError) {
  std::string e = error_for(kBusiness + R"(
[[approach]]
name = "api"
kind = "openai"
)");
  EXPECT_NE(e.find("accuracy is missing"), std::string::npos) << e;
}

TEST(BadInput, HarmfulRatesNeedCostPerIncident) {
  std::string e = error_for(kBusiness + R"(
[[approach]]
name = "api"
kind = "openai"
harmful_error_rate = 0.02
)");
  EXPECT_NE(e.find("cost_per_incident_usd is missing"), std::string::npos) << e;
}

TEST(BadInput, UnknownBaselineIsAnError) {
  std::string e = error_for(kBusiness + "baseline = \"nope\"\n" + kApproaches);
  EXPECT_NE(e.find("baseline = \"nope\""), std::string::npos) << e;
}

TEST(BadInput, ApproachMissingFromEvalIsAnError) {
  nlohmann::json eval = {{"approaches", {{{"name", "api"}, {"accuracy", 0.7}}}}};
  std::string e = error_for(kBusiness + kApproaches, &eval);
  EXPECT_NE(e.find("'tuned' is in the config but not in eval.json"), std::string::npos) << e;
}

TEST(BadInput, MissingPriceIsUnknownNotZero) {
  Scenario s = read_scenario(parse_config(R"([data]
path = "x.csv"
)" + kBusiness + R"(
[[approach]]
name = "api"
kind = "openai"
accuracy = 0.7
)",
                                          "noprice.toml"),
                             nullptr);
  EXPECT_FALSE(s.approaches[0].usd_per_query.known());
}

TEST(BadInput, HostingWithoutAPriceIsAnError) {
  std::string e = error_for(kBusiness + kApproaches + "hosting = { instances = 2 }\n");
  EXPECT_NE(e.find("usd_per_hour"), std::string::npos) << e;
}

}  // namespace
}  // namespace tunecase::econ

namespace tunecase {
namespace {

// The message load_eval_json throws for an eval.json with this approach entry ("" when none).
std::string eval_json_error(const nlohmann::json& approach) {
  auto file = std::filesystem::temp_directory_path() /
              ("tunecase_bad_eval_" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << nlohmann::json{{"approaches", {approach}}}.dump();
  std::string message;
  try {
    load_eval_json(file);
  } catch (const UserError& e) {
    message = e.what();
  }
  std::filesystem::remove(file);
  return message;
}

TEST(BadEvalJson, AccuracyOutsideZeroToOneNamesTheFileAndApproach) {
  std::string e = eval_json_error({{"name", "svm"}, {"accuracy", 1.7}});
  EXPECT_NE(e.find("tunecase_bad_eval_"), std::string::npos) << e;
  EXPECT_NE(e.find("approach 'svm': accuracy 1.7 is not a share between 0 and 1"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("re-run tunecase eval"), std::string::npos) << e;
  EXPECT_NE(eval_json_error({{"name", "svm"}, {"accuracy", -0.1}}), "");
}

TEST(BadEvalJson, AFileThatIsNotJsonIsNotCalledAnInvalidEvalJson) {
  auto file = std::filesystem::temp_directory_path() /
              ("tunecase_not_eval_" + std::to_string(::getpid()) + ".csv");
  std::ofstream(file) << "text,label\nhello,a\n";
  try {
    load_eval_json(file);
    ADD_FAILURE() << "a CSV file was read as eval.json";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("not an eval.json (not JSON); pass the folder"),
              std::string::npos)
        << e.what();
  }
  std::filesystem::remove(file);
}

TEST(BadEvalJson, AccuracyOutsideItsOwnIntervalIsAnError) {
  std::string e = eval_json_error(
      {{"name", "svm"}, {"accuracy", 0.9}, {"accuracy_ci95", nlohmann::json::array({0.1, 0.3})}});
  EXPECT_NE(e.find("lies outside its own 95% interval"), std::string::npos) << e;
  EXPECT_EQ(eval_json_error({{"name", "svm"},
                             {"accuracy", 0.9},
                             {"accuracy_ci95", nlohmann::json::array({0.85, 0.94})}}),
            "");
}

}  // namespace
}  // namespace tunecase
