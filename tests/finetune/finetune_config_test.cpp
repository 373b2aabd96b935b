#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/llm/prices.h"

namespace tunecase {
namespace {

std::string approach(const std::string& kind, const std::string& finetune) {
  return "[data]\npath = \"t.csv\"\n[[approach]]\nname = \"a\"\nkind = \"" + kind +
         "\"\nmodel = \"m\"\nfinetune = " + finetune + "\n";
}

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "p.toml");
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(FinetuneConfig, ReadsTheInlineTableIntoTypedSettings) {
  ProjectConfig c = parse_config(
      approach("openai",
               "{ base_model = \"gpt-4.1-mini-2025-04-14\", epochs = 4, suffix = \"t-1\" }"),
      "p.toml");
  ASSERT_TRUE(c.approaches[0].llm.finetune.has_value());
  EXPECT_EQ(c.approaches[0].llm.finetune->base_model, "gpt-4.1-mini-2025-04-14");
  EXPECT_EQ(c.approaches[0].llm.finetune->epochs, 4);
  EXPECT_EQ(c.approaches[0].llm.finetune->suffix, "t-1");
  ProjectConfig defaults = parse_config(approach("openai", "{ base_model = \"b\" }"), "p.toml");
  EXPECT_EQ(defaults.approaches[0].llm.finetune->epochs, 3);
  ProjectConfig none = parse_config(
      "[data]\npath = \"t.csv\"\n[[approach]]\nname = \"x\"\nkind = \"openai\"\n", "p.toml");
  EXPECT_FALSE(none.approaches[0].llm.finetune.has_value());
}

TEST(FinetuneConfig, BadKeysNameTheKeyAndWhatToWrite) {
  EXPECT_NE(error_of(approach("openai", "{ epochs = 3 }")).find("base_model"), std::string::npos);
  EXPECT_NE(error_of(approach("openai", "{ base_model = \"b\", epochs = 0 }")).find("epochs"),
            std::string::npos);
  EXPECT_NE(error_of(approach("openai", "{ base_model = \"b\", epoch = 3 }")).find("epochs"),
            std::string::npos);  // the nearest known key is suggested
  EXPECT_NE(error_of(approach("openai", "{ base_model = \"b\", suffix = \"a b\" }")).find("suffix"),
            std::string::npos);
  // Anthropic has no fine-tuning API: the key is refused and said to belong to openai.
  EXPECT_NE(error_of(approach("anthropic", "{ base_model = \"b\" }")).find("openai"),
            std::string::npos);
  // A chain-of-thought prompt cannot be fine-tuned: check says so at the table's line, not
  // finetune or curve later without the approach's name.
  std::string cot =
      error_of(approach("openai", "{ base_model = \"b\" }\nprompt = \"chain_of_thought\""));
  EXPECT_NE(cot.find("chain_of_thought"), std::string::npos) << cot;
  EXPECT_NE(cot.find("p.toml:"), std::string::npos) << cot;
}

TEST(FinetunePrices, TrainingAndTunedInferenceComeFromTheFinetuneSection) {
  PriceCatalogue c = PriceCatalogue::parse(
      "[models.\"gpt-4.1-mini\"]\ninput = 0.4\noutput = 1.6\ndate = \"d\"\nsource = \"s\"\n"
      "[finetune.\"gpt-4.1-mini\"]\ntraining = 5.0\ninput = 0.8\noutput = 3.2\ndate = \"d2\"\n"
      "source = \"s2\"\n",
      "prices.toml");
  auto ft = c.find_finetune("gpt-4.1-mini-2025-04-14");
  ASSERT_TRUE(ft.has_value());
  EXPECT_DOUBLE_EQ(ft->training_per_mtok, 5.0);
  EXPECT_EQ(ft->inference.date, "d2");
  auto tuned = c.find("ft:gpt-4.1-mini-2025-04-14:org:tickets:abc123");
  ASSERT_TRUE(tuned.has_value());
  EXPECT_DOUBLE_EQ(tuned->input_per_mtok, 0.8);  // the fine-tuned rate, not the base 0.4
  EXPECT_FALSE(c.find_finetune("gpt-4o-mini").has_value());
  // A tuned model of a base without fine-tuning prices is unknown, never the base model's rate.
  EXPECT_FALSE(c.find("ft:gpt-4o-mini-2024-07-18:org::x").has_value());
}

TEST(FinetunePrices, ATrainingRateIsRequired) {
  EXPECT_THROW(PriceCatalogue::parse("[models.\"m\"]\ninput = 1\noutput = 1\ndate = \"d\"\n"
                                     "source = \"s\"\n[finetune.\"m\"]\ninput = 1\noutput = 1\n"
                                     "date = \"d\"\nsource = \"s\"\n",
                                     "p.toml"),
               UserError);
}

TEST(FinetunePrices, TheShippedCatalogueDatesItsFinetunePrices) {
  PriceCatalogue c =
      PriceCatalogue::load(std::string(TUNECASE_FIXTURES) + "/../../data/prices.toml");
  auto ft = c.find_finetune("gpt-4.1-mini-2025-04-14");
  ASSERT_TRUE(ft.has_value());
  EXPECT_GT(ft->training_per_mtok, 0);
  EXPECT_FALSE(ft->inference.date.empty());
  EXPECT_FALSE(ft->inference.source.empty());
}

}  // namespace
}  // namespace tunecase
