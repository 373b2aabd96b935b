#include <gtest/gtest.h>

#include "run_cli.h"

namespace {

TEST(DemoCli, RunsTheWholeJourneyOffline) {
  TempDir out;
  CliResult r = run_cli("demo --quiet --tickets 1500 --out " + out.str());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json eval = read_json(out.path() / "eval" / "eval.json");
  ASSERT_GE(eval["approaches"].size(), 6u);
  std::size_t simulated = 0;
  for (const auto& a : eval["approaches"]) simulated += a["simulated"].get<bool>();
  EXPECT_EQ(simulated, 3u);  // the three prompting strategies ran against sim-llm
  EXPECT_GE(eval["dataset"]["labels"].get<int>(), 11);
  EXPECT_TRUE(std::filesystem::exists(out.path() / "decision" / "memo.html"));
  EXPECT_TRUE(std::filesystem::exists(out.path() / "optimize" / "winner.toml"));
  EXPECT_TRUE(std::filesystem::exists(out.path() / "curve" / "curve.html"));
  std::string memo = read_file(out.path() / "decision" / "memo.md");
  EXPECT_NE(memo.find("SIMULATED"), std::string::npos);
  EXPECT_NE(r.output.find("(simulated)"), std::string::npos) << r.output;

  // The pilot: two later months of tickets replayed through the gateway, every one answered and
  // logged, the report written next to the memo and marked simulated.
  nlohmann::json pilot = read_json(out.path() / "decision" / "pilot.json");
  ASSERT_EQ(pilot["arms"].size(), 2u);
  int64_t requests = 0, labelled = 0;
  for (const auto& arm : pilot["arms"]) {
    requests += arm["requests"].get<int64_t>();
    labelled += arm["labelled"].get<int64_t>();
  }
  EXPECT_EQ(requests, 2 * (1500 / 12));
  EXPECT_EQ(labelled, requests);  // every label arrived before the final report
  EXPECT_EQ(pilot["basis"], "simulated");
  std::string outcome = pilot["verdict"]["outcome"];
  EXPECT_TRUE(outcome == "clear win" || outcome == "marginal" || outcome == "worse" ||
              outcome == "collecting")
      << outcome;
  EXPECT_NE(r.output.find("pilot verdict after"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(out.path() / "decision" / "pilot.md"));
}

}  // namespace
