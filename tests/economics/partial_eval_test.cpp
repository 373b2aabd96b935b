// decide on an eval.json whose runs the budget stopped before every test item was scored.
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/economics/decide.h"
#include "tunecase/economics/decision_json.h"
#include "tunecase/economics/memo.h"
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
)";

// The economics fixture with api-retrieval stopped by the budget after 334 of 1,076 items.
nlohmann::json partial_eval(double scored = 334) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  for (auto& a : eval["approaches"]) {
    if (a["name"] != "api-retrieval") continue;
    a["n"] = a["scored"] = scored;
    a["not_run"] = 1076 - scored;
    a["partial"] = true;
    a["not_run_reason"] = "budget reached";
  }
  return eval;
}

ProjectConfig config() {
  return parse_config(kConfig, "tickets.toml");
}

TEST(PartialEval, DecideRefusesAnApproachWithUnscoredItems) {
  nlohmann::json eval = partial_eval();
  try {
    read_scenario(config(), &eval);
    FAIL() << "a partial measurement was priced as if complete";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("api-retrieval (334/1,076 scored, stopped by budget)"));
    EXPECT_THAT(e.what(), HasSubstr("--accept-partial"));
  }
}

TEST(PartialEval, AnAcceptedPartialRunIsARiskInTheMemoAndDecisionJson) {
  nlohmann::json eval = partial_eval();
  Decision d = decide(read_scenario(config(), &eval, /*accept_partial=*/true));
  std::string expected =
      "PARTIAL measurement of api-retrieval: 334/1,076 scored, stopped by budget";
  bool named = false;
  for (const auto& risk : d.risks) named = named || risk.find(expected) != std::string::npos;
  EXPECT_TRUE(named);
  EXPECT_THAT(decision_json(d)["recommendation"]["risks"].dump(), HasSubstr(expected));
  EXPECT_THAT(memo_markdown(d), HasSubstr(expected));
}

TEST(PartialEval, AnApproachThatScoredNothingIsNeverPriced) {
  nlohmann::json eval = partial_eval(0);
  EXPECT_THROW(read_scenario(config(), &eval, /*accept_partial=*/true), UserError);
}

// Requests that failed after all retries count as wrong answers: an accuracy diluted by a flaky
// endpoint was priced as measured, and the memo said nothing of it.
nlohmann::json failing_eval(int64_t errors) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  for (auto& a : eval["approaches"])
    if (a["name"] == "api-retrieval") a["errors"] = errors;
  return eval;
}

TEST(PartialEval, ManyFailedRequestsAreRefusedAndAFewAreARisk) {
  nlohmann::json many = failing_eval(50);  // of 200
  try {
    read_scenario(config(), &many);
    FAIL() << "an accuracy diluted by failed requests was priced as measured";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("api-retrieval (50 of 200 test requests (25.0%) failed"));
    EXPECT_THAT(e.what(), HasSubstr("--accept-partial"));
  }
  Decision accepted = decide(read_scenario(config(), &many, /*accept_partial=*/true));
  EXPECT_THAT(memo_markdown(accepted), HasSubstr("FAILED REQUESTS of api-retrieval: 50 of 200"));

  nlohmann::json few = failing_eval(2);  // 1%: decided on, and said
  Decision d = decide(read_scenario(config(), &few));
  EXPECT_THAT(memo_markdown(d), HasSubstr("FAILED REQUESTS of api-retrieval: 2 of 200"));
}

TEST(PartialEval, ACompleteEvalNeedsNoFlag) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  Decision d = decide(read_scenario(config(), &eval));
  for (const auto& risk : d.risks) EXPECT_THAT(risk, ::testing::Not(HasSubstr("PARTIAL")));
}

}  // namespace
}  // namespace tunecase::econ
