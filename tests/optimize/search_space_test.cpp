#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/core/error.h"
#include "tunecase/optimize/search_space.h"

namespace tunecase {
namespace {

using ::testing::HasSubstr;

constexpr const char* kBase = R"(
[data]
path = "tickets.csv"
[[approach]]
name = "small"
kind = "openai"
model = "gpt-4o-mini"
base_url = "http://127.0.0.1:1/v1"
price = { input = 0.15, output = 0.6 }
[[approach]]
name = "local"
kind = "linear"
)";

ProjectConfig config(const std::string& optimize) {
  return parse_config(std::string(kBase) + optimize, "/tmp/project.toml");
}

TEST(SearchSpace, ExpandsTheGridWithoutDuplicatePrompts) {
  auto s = read_optimize_settings(config(R"(
[labels]
billing = "invoices and refunds"
[optimize]
models = ["small", { name = "large", model = "gpt-4o", base_url = "http://127.0.0.1:1/v1" }]
strategies = ["zero_shot", "few_shot", "retrieval_few_shot"]
shots = [0, 4, 8]
selection = ["stratified", "random"]
label_descriptions = [true, false]
)"));
  // per model: zero_shot 1x2, few_shot 2 shots x 2 selections x 2, retrieval 2 shots x 2 = 14
  EXPECT_EQ(s.candidates.size(), 28u);
  std::set<std::string> names;
  for (const auto& c : s.candidates) {
    names.insert(c.name);
    EXPECT_EQ(c.approach.name, c.name);
    if (c.settings["prompt"] == "zero_shot") {
      EXPECT_EQ(c.settings["shots"], 0);
    }
    if (c.settings["prompt"] == "retrieval_few_shot") {
      EXPECT_FALSE(c.approach.source.contains("selection"));
    }
  }
  EXPECT_EQ(names.size(), s.candidates.size());
  // Without [labels] descriptions, label_descriptions changes no prompt: half the grid.
  auto plain = read_optimize_settings(config(R"(
[optimize]
models = ["small"]
strategies = ["zero_shot", "few_shot"]
shots = [4]
label_descriptions = [true, false]
)"));
  EXPECT_EQ(plain.candidates.size(), 2u);
}

TEST(SearchSpace, CandidatesKeepTheTemplatesOtherKeys) {
  auto s = read_optimize_settings(config("[optimize]\nmodels = [\"small\"]\n"));
  ASSERT_EQ(s.candidates.size(), 1u);
  const auto& p = s.candidates[0].approach.llm;
  EXPECT_EQ(p.model, "gpt-4o-mini");
  ASSERT_TRUE(p.price);
  EXPECT_EQ(p.price->input, 0.15);
  EXPECT_EQ(s.candidates[0].template_name, "small");
}

// A template with a finetune table (the demo's sim-zero-shot): its chain-of-thought candidate
// leaves the table out, since such a prompt cannot be fine-tuned; the others keep it.
TEST(SearchSpace, AChainOfThoughtCandidateDoesNotCarryTheFinetuneTable) {
  ProjectConfig c = parse_config(
      "[data]\npath = \"tickets.csv\"\n[[approach]]\nname = \"tuned\"\nkind = \"openai\"\n"
      "model = \"gpt-4o-mini\"\nfinetune = { base_model = \"gpt-4o-mini-2024-07-18\" }\n"
      "[optimize]\nmodels = [\"tuned\"]\nstrategies = [\"zero_shot\", \"chain_of_thought\"]\n",
      "/tmp/project.toml");
  auto s = read_optimize_settings(c);
  ASSERT_EQ(s.candidates.size(), 2u);
  for (const auto& candidate : s.candidates)
    EXPECT_EQ(candidate.approach.llm.finetune.has_value(),
              candidate.settings["prompt"] == "zero_shot")
        << candidate.name;
}

TEST(SearchSpace, ReadsLimitsAndSearchKnobs) {
  auto s = read_optimize_settings(
      config("[optimize]\nmodels = [\"small\"]\nmax_usd_per_1k = 0.5\nmax_p95_ms = 900\n"
             "budget_usd = 3\nmax_calls = 5000\nseed = 11\nstart_sample = 40\n"));
  EXPECT_EQ(*s.max_usd_per_1k, 0.5);
  EXPECT_EQ(*s.max_p95_ms, 900);
  EXPECT_EQ(*s.budget_usd, 3);
  EXPECT_EQ(*s.max_calls, 5000u);
  EXPECT_EQ(s.seed, 11u);
  EXPECT_EQ(s.start_sample, 40u);
}

TEST(SearchSpace, BadInputNamesTheKey) {
  EXPECT_THROW(read_optimize_settings(config("")), UserError);
  try {
    read_optimize_settings(config("[optimize]\nmodels = [\"nope\"]\n"));
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("nope"));
  }
  try {
    read_optimize_settings(config("[optimize]\nmodels = [\"local\"]\n"));
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("openai or anthropic"));
  }
  try {
    read_optimize_settings(config("[optimize]\nmodels = [\"small\"]\nstrategies = [\"vibes\"]\n"));
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("strategies"));
  }
}

TEST(SearchSpace, WinnerBlockIsValidTomlThatLoadsBack) {
  auto s = read_optimize_settings(config("[optimize]\nmodels = [\"small\"]\n"));
  std::string toml = approach_toml(s.candidates[0].approach, "small-optimized");
  auto back = parse_config("[data]\npath = \"x.csv\"\n" + toml, "/tmp/winner.toml");
  ASSERT_EQ(back.approaches.size(), 1u);
  EXPECT_EQ(back.approaches[0].name, "small-optimized");
  ASSERT_TRUE(back.approaches[0].llm.price);
  EXPECT_EQ(back.approaches[0].llm.price->output, 0.6);
  EXPECT_EQ(back.approaches[0].llm.model, "gpt-4o-mini");
}

}  // namespace
}  // namespace tunecase
