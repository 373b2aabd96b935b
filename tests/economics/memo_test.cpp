#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/economics/decide.h"

namespace tunecase {
namespace {

std::filesystem::path examples() {
  return std::filesystem::path(TUNECASE_FIXTURES).parent_path().parent_path() / "examples";
}

std::filesystem::path temp_out(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("tunecase_econ_" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Memo, SeedFintechExampleRecommendsPromptOptimisation) {
  ProjectConfig config = load_config(examples() / "seed-fintech.toml");
  auto out = temp_out("fintech");
  DecisionResult r = run_decide(config, nullptr, out);
  EXPECT_EQ(r.recommendation, "optimised-prompt");
  EXPECT_NE(r.memo_md.find("$680,000"), std::string::npos);
  EXPECT_NE(r.memo_md.find("$450,000"), std::string::npos);
  EXPECT_NE(r.memo_md.find("$1,000,000"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(out / "decision.json"));
  EXPECT_EQ(read(out / "memo.md"), r.memo_md);
  EXPECT_EQ(r.decision["recommendation"]["approach"], "optimised-prompt");
  std::filesystem::remove_all(out);
}

TEST(Memo, MarkdownHasEverySection) {
  ProjectConfig config = load_config(examples() / "support-tickets.toml");
  auto out = temp_out("sections");
  DecisionResult r = run_decide(config, nullptr, out);
  for (const char* section :
       {"## The question", "## Data used", "## Results (assumed)", "## Cost and value",
        "## Break-even", "## Sensitivity", "## What would it take", "## Checklist",
        "## Recommendation", "## Risks", "## Next step"}) {
    EXPECT_NE(r.memo_md.find(section), std::string::npos) << section;
  }
  // Scenario mode measures nothing: no section says it does, and no figure is tagged so.
  EXPECT_EQ(r.memo_md.find("## Measured results"), std::string::npos);
  for (const auto& a : r.decision["approaches"])
    for (const char* key : {"latency_p50_ms", "throughput_per_s"})
      if (a["inputs"].contains(key)) {
        EXPECT_NE(a["inputs"][key]["source"], "measured") << a["name"] << " " << key;
      }
  std::filesystem::remove_all(out);
}

TEST(Memo, HtmlIsSelfContainedWithThreeCharts) {
  ProjectConfig config = load_config(examples() / "support-tickets.toml");
  auto out = temp_out("html");
  DecisionResult r = run_decide(config, nullptr, out);
  size_t charts = 0;
  for (size_t at = r.memo_html.find("<svg"); at != std::string::npos;
       at = r.memo_html.find("<svg", at + 1))
    ++charts;
  EXPECT_EQ(charts, 3u);
  EXPECT_EQ(r.memo_html.find("<script"), std::string::npos);
  EXPECT_EQ(r.memo_html.find("src=\"http"), std::string::npos);
  EXPECT_NE(r.memo_html.find("Pareto frontier"), std::string::npos);
  std::filesystem::remove_all(out);
}

}  // namespace
}  // namespace tunecase
