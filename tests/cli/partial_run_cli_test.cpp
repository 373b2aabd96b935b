// Budget-capped and unpriced LLM runs through the built binary, against `tunecase sim-llm`.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "run_cli.h"
#include "sim_llm_process.h"

namespace {

// tickets.csv with an LLM approach on sim-llm (model `model`) first and a local one second.
void write_config(const std::filesystem::path& file, int port, const std::string& model) {
  std::ofstream(file) << "[data]\npath = \"" << fixture("cli/tickets.csv")
                      << "\"\nlabel = \"category\"\n\n"
                         "[[approach]]\nname = \"api\"\nkind = \"openai\"\n"
                         "base_url = \"http://127.0.0.1:"
                      << port << "/v1\"\napi_key_env = \"TUNECASE_TEST_KEY\"\nmodel = \"" << model
                      << "\"\nprompt = \"zero_shot\"\n\n"
                         "[[approach]]\nname = \"local-linear\"\nkind = \"linear\"\n\n"
                         "[business]\nqueries_per_day = 1000\ncost_per_error_usd = 2\n"
                         "engineer_usd_per_week = 4000\n";
}

std::string env() {
  return std::string("TUNECASE_TEST_KEY=") + kKey + " ";
}

class PartialRunCli : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<SimLlmProcess>(dir_.path());
    ASSERT_GT(sim_->port(), 0);
  }
  std::string config(const std::string& model) {
    std::filesystem::path file = dir_.path() / "p.toml";
    write_config(file, sim_->port(), model);
    return file.string();
  }
  std::string out() const { return (dir_.path() / "out").string(); }

  TempDir dir_;
  std::unique_ptr<SimLlmProcess> sim_;
};

TEST_F(PartialRunCli, ABudgetStoppedRunIsMarkedEverywhereAndDecideRefusesIt) {
  std::string cfg = config("gpt-4o-mini");
  CliResult eval = run_cli_with_env(
      env(), "eval --yes --quiet --max-cost 0.0002 --config " + cfg + " --out " + out());
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  nlohmann::json doc = read_json(dir_.path() / "out" / "eval.json");
  const auto& api = doc["approaches"][0];
  std::size_t scored = api["scored"], not_run = api["not_run"];
  ASSERT_GT(scored, 0u);
  ASSERT_GT(not_run, 0u) << "the cap did not stop the run; lower --max-cost";
  EXPECT_EQ(api["partial"], true);
  EXPECT_EQ(api["n"], scored);
  EXPECT_EQ(scored + not_run, doc["dataset"]["test"].get<std::size_t>());
  std::string marker = std::to_string(scored) + "/" + std::to_string(scored + not_run) +
                       " scored, stopped by budget";
  EXPECT_NE(eval.output.find("api (simulated) (partial)"), std::string::npos) << eval.output;
  EXPECT_NE(eval.output.find(marker), std::string::npos) << eval.output;
  std::string report = read_file(dir_.path() / "out" / "report.md");
  EXPECT_EQ(report.find("Every approach was scored on the same"), std::string::npos);
  EXPECT_NE(report.find(marker), std::string::npos);
  EXPECT_EQ(doc["pairwise"][0]["compared_on"], "common_scored_items");
  EXPECT_EQ(doc["pairwise"][0]["n"], scored);

  // The scored items are a random sample, not the first ones of the test split.
  std::ifstream lines(dir_.path() / "out" / "predictions.jsonl");
  std::string line;
  std::size_t position = 0, last_scored = 0;
  for (; std::getline(lines, line) && position < scored + not_run; ++position) {
    auto p = nlohmann::json::parse(line);
    if (!p.contains("error") || p["error"].get<std::string>().rfind("not run", 0) != 0)
      last_scored = position;
  }
  EXPECT_GE(last_scored, scored) << "only the first items of the test split were scored";

  std::string decide = "decide --config " + cfg + " --eval " + out() + " --out " +
                       (dir_.path() / "decision").string();
  CliResult refused = run_cli(decide);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--accept-partial"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find(marker), std::string::npos) << refused.output;

  CliResult accepted = run_cli(decide + " --accept-partial");
  ASSERT_EQ(accepted.exit_code, 0) << accepted.output;
  nlohmann::json decision = read_json(dir_.path() / "decision" / "decision.json");
  const auto& risks = decision["recommendation"]["risks"];
  EXPECT_NE(risks.dump().find("PARTIAL measurement of api: " + marker), std::string::npos) << risks;
  std::string memo = read_file(dir_.path() / "decision" / "memo.md");
  EXPECT_NE(memo.find("PARTIAL measurement of api: " + marker), std::string::npos);
}

TEST_F(PartialRunCli, AnUnpricedModelIsNotSentWithoutYesOrATerminal) {
  std::string cfg = config("house-model-without-a-price");
  std::filesystem::path no_terminal = dir_.path() / "empty-stdin";
  std::ofstream(no_terminal).flush();
  CliResult refused = run_cli_with_env(
      env(), "eval --quiet --only api --config " + cfg + " --out " + out(), no_terminal.string());
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--yes"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("no price"), std::string::npos) << refused.output;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "out" / "eval.json"));

  CliResult confirmed =
      run_cli_with_env(env(), "eval --yes --quiet --only api --config " + cfg + " --out " + out(),
                       no_terminal.string());
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.output;
}

}  // namespace
