#include "tunecase/llm/prices.h"
#include "tunecase/config/approach_settings.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

constexpr const char* kCatalogue = R"(
[models."gpt-4o"]
input = 2.50
cached_input = 1.25
output = 10
date = "2025-08"
source = "https://openai.com/api/pricing/"

[models."gpt-4o-mini"]
input = 0.15
cached_input = 0.075
output = 0.60
date = "2025-08"
source = "https://openai.com/api/pricing/"

[models."claude-3-haiku"]
input = 0.25
output = 1.25
date = "2025-08"
source = "https://docs.anthropic.com/en/docs/about-claude/pricing"
)";

TEST(PriceCatalogue, FindsExactModel) {
  auto catalogue = PriceCatalogue::parse(kCatalogue, "prices.toml");
  auto price = catalogue.find("gpt-4o-mini");
  ASSERT_TRUE(price);
  EXPECT_DOUBLE_EQ(price->input_per_mtok, 0.15);
  EXPECT_DOUBLE_EQ(price->cached_input_per_mtok, 0.075);
  EXPECT_DOUBLE_EQ(price->output_per_mtok, 0.60);
  EXPECT_EQ(price->date, "2025-08");
  EXPECT_EQ(price->source, "https://openai.com/api/pricing/");
}

TEST(PriceCatalogue, DatedSnapshotUsesLongestPrefix) {
  auto catalogue = PriceCatalogue::parse(kCatalogue, "prices.toml");
  EXPECT_DOUBLE_EQ(catalogue.find("gpt-4o-2024-08-06")->input_per_mtok, 2.50);
  EXPECT_DOUBLE_EQ(catalogue.find("gpt-4o-mini-2024-07-18")->input_per_mtok, 0.15);
  EXPECT_DOUBLE_EQ(catalogue.find("claude-3-haiku-20240307")->output_per_mtok, 1.25);
}

TEST(PriceCatalogue, UnknownModelHasNoPrice) {
  auto catalogue = PriceCatalogue::parse(kCatalogue, "prices.toml");
  EXPECT_FALSE(catalogue.find("llama3:8b"));
  EXPECT_FALSE(catalogue.find("gpt-4"));
  // A longer name that is not a snapshot of a catalogued model is not priced by it.
  EXPECT_FALSE(catalogue.find("gpt-4omni"));
}

TEST(PriceCatalogue, CachedInputDefaultsToInput) {
  auto catalogue = PriceCatalogue::parse(kCatalogue, "prices.toml");
  EXPECT_DOUBLE_EQ(catalogue.find("claude-3-haiku")->cached_input_per_mtok, 0.25);
  // Prompt-cache writes default to Anthropic's multiples of the input rate.
  EXPECT_DOUBLE_EQ(catalogue.find("claude-3-haiku")->cache_write_per_mtok, 0.3125);
  EXPECT_DOUBLE_EQ(catalogue.find("claude-3-haiku")->cache_write_1h_per_mtok, 0.5);
  auto typed = PriceCatalogue::parse(
      "[models.\"m\"]\ninput = 1\noutput = 2\ncache_write = 1.5\ncache_write_1h = 3\n"
      "date = \"2025-08\"\nsource = \"x\"\n",
      "prices.toml");
  EXPECT_DOUBLE_EQ(typed.find("m")->cache_write_per_mtok, 1.5);
  EXPECT_DOUBLE_EQ(typed.find("m")->cache_write_1h_per_mtok, 3.0);
}

TEST(PriceCatalogue, BadValueNamesFileAndLine) {
  const char* text = "[models.\"m\"]\ninput = -1\noutput = 2\ndate = \"d\"\nsource = \"s\"\n";
  try {
    PriceCatalogue::parse(text, "my-prices.toml");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("my-prices.toml:2"), std::string::npos) << e.what();
  }
}

TEST(PriceCatalogue, MissingSourceAndBadSyntaxAreUserErrors) {
  EXPECT_THROW(PriceCatalogue::parse("[models.\"m\"]\ninput = 1\noutput = 2\ndate = \"d\"\n", "p"),
               UserError);
  try {
    PriceCatalogue::parse("[models.\"m\"\ninput = 1\n", "broken.toml");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("broken.toml:1"), std::string::npos) << e.what();
  }
}

TEST(PriceCatalogue, ShippedCatalogueLoadsAndPricesCommonModels) {
  ::unsetenv("TUNECASE_PRICES");
  auto catalogue = PriceCatalogue::load_default();
  EXPECT_GE(catalogue.size(), 10u);
  for (const char* model : {"gpt-4o-mini", "gpt-4o-2024-08-06", "gpt-4.1-mini",
                            "claude-3-5-haiku-20241022", "claude-sonnet-4-20250514"}) {
    auto price = catalogue.find(model);
    ASSERT_TRUE(price) << model;
    EXPECT_GT(price->output_per_mtok, price->input_per_mtok) << model;
    EXPECT_LE(price->cached_input_per_mtok, price->input_per_mtok) << model;
    EXPECT_FALSE(price->date.empty()) << model;
    EXPECT_TRUE(price->source.starts_with("https://")) << model;
  }
}

ApproachConfig llm_approach(const std::string& name, nlohmann::json settings) {
  settings["name"] = name;
  settings["kind"] = "openai";
  return approach_from_json(settings, "test.toml");
}

TEST(PriceFor, ApproachOverrideWinsOverCatalogue) {
  auto catalogue = PriceCatalogue::parse(kCatalogue, "prices.toml");
  ApproachConfig a =
      llm_approach("cheap", {{"model", "gpt-4o"}, {"price", {{"input", 1.0}, {"output", 2.0}}}});
  auto price = price_for(a, catalogue);
  ASSERT_TRUE(price);
  EXPECT_DOUBLE_EQ(price->input_per_mtok, 1.0);
  EXPECT_DOUBLE_EQ(price->cached_input_per_mtok, 1.0);
  EXPECT_DOUBLE_EQ(price->output_per_mtok, 2.0);
  EXPECT_EQ(price->source, "config: approach 'cheap'");
}

TEST(PriceFor, FallsBackToCatalogueAndToNothing) {
  auto catalogue = PriceCatalogue::parse(kCatalogue, "prices.toml");
  ApproachConfig known = llm_approach("a", {{"model", "gpt-4o-mini"}});
  EXPECT_DOUBLE_EQ(price_for(known, catalogue)->input_per_mtok, 0.15);
  ApproachConfig local = llm_approach("b", {{"model", "my-local-llama"}});
  EXPECT_FALSE(price_for(local, catalogue));
  // A price that is not a number is refused when the config is read.
  EXPECT_THROW(llm_approach("c", {{"model", "gpt-4o"}, {"price", {{"input", "cheap"}}}}),
               UserError);
}

TEST(CostUsd, PricesCachedInputAtTheCachedRate) {
  Price price{2.50, 1.25, 10.0, "", ""};
  Usage usage{1000, 100, 400};  // 600 uncached + 400 cached input, 100 output
  // (600 x 2.50 + 400 x 1.25 + 100 x 10) / 1e6 = (1500 + 500 + 1000) / 1e6
  EXPECT_DOUBLE_EQ(cost_usd(price, usage), 3000.0 / 1e6);
  EXPECT_DOUBLE_EQ(cost_usd(price, Usage{}), 0.0);
  EXPECT_DOUBLE_EQ(cost_usd(Price{0.15, 0.075, 0.60, "", ""}, Usage{1000000, 1000000, 0}), 0.75);
}

// Tokens written to the prompt cache are billed at their own rates, above the input rate (they
// had been billed as plain input, a quarter to a half under).
TEST(CostUsd, PricesCacheWritesAtTheirOwnRates) {
  Price price{3.0, 0.30, 15.0, "", ""};
  price.cache_write_per_mtok = 3.75;
  price.cache_write_1h_per_mtok = 6.0;
  Usage usage{1000, 10, 100};  // 100 read, 300 written for 5 min, 200 for an hour, 400 plain
  usage.cache_write = 300;
  usage.cache_write_1h = 200;
  // (400 x 3 + 100 x 0.30 + 300 x 3.75 + 200 x 6 + 10 x 15) / 1e6
  EXPECT_DOUBLE_EQ(cost_usd(price, usage), (1200 + 30 + 1125 + 1200 + 150) / 1e6);
  // A price typed in the config takes the same defaults.
  ApproachConfig typed =
      llm_approach("c", {{"model", "claude-x"}, {"price", {{"input", 3.0}, {"output", 15.0}}}});
  std::optional<Price> p = price_for(typed, PriceCatalogue::parse(kCatalogue, "prices.toml"));
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(p->cache_write_per_mtok, 3.75);
  EXPECT_DOUBLE_EQ(p->cache_write_1h_per_mtok, 6.0);
}

// A user with the binary alone has no data/prices.toml beside it: the remedy names the catalogue
// in use and every way to price a model.
TEST(PriceCatalogue, TheRemedyForAMissingPriceNamesEveryWay) {
  std::string remedy = missing_price_remedy();
  EXPECT_NE(remedy.find("price = { input"), std::string::npos) << remedy;
  EXPECT_NE(remedy.find("prices = \"FILE\""), std::string::npos) << remedy;
  EXPECT_NE(remedy.find("TUNECASE_PRICES"), std::string::npos) << remedy;
  EXPECT_NE(remedy.find("prices.toml"), std::string::npos) << remedy;
}

}  // namespace
}  // namespace tunecase
