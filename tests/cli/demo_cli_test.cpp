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
}

}  // namespace
