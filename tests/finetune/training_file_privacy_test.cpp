// The fine-tuning files are redacted like every request (docs/privacy.md): one placeholder map
// per training line, labels never redacted.
#include <gtest/gtest.h>

#include "finetune_support.h"
#include "tunecase/config/config.h"
#include "tunecase/finetune/training_file.h"
#include "tunecase/llm/prompt.h"

namespace tunecase {
namespace {

TEST(TrainingFilePrivacy, LinesCarryPlaceholdersAndNoRawValues) {
  ProjectConfig c = parse_config(
      finetune_test::project_toml(9) + "\n[privacy]\nredact = [\"email\", \"card\", \"phone\"]\n",
      "p.toml");
  const ApproachConfig& a = c.approaches.at(0);
  std::vector<std::string> labels = {"billing", "login", "refund", "shipping"};
  Examples train = {{"", "refund to anna@example.com, card 4111 1111 1111 1111, anna@example.com",
                     "refund", "", 0},
                    {"", "call +44 20 7946 0958 about my login", "login", "", 0},
                    {"", "where is the parcel", "shipping", "", 0}};
  PromptBuilder prompts(prompt_settings(a, c), c, train, labels);
  std::string jsonl = training_jsonl(prompts, train, Redactor(c.privacy.rules));
  EXPECT_EQ(jsonl.find("anna@example.com"), std::string::npos) << jsonl;
  EXPECT_EQ(jsonl.find("4111 1111 1111 1111"), std::string::npos) << jsonl;
  EXPECT_EQ(jsonl.find("7946 0958"), std::string::npos) << jsonl;
  EXPECT_NE(jsonl.find("refund to <EMAIL_1>, card <CARD_1>, <EMAIL_1>"), std::string::npos)
      << jsonl;
  EXPECT_NE(jsonl.find("\"content\":\"refund\""), std::string::npos) << jsonl;
  // Without rules the file is as before.
  EXPECT_NE(training_jsonl(prompts, train).find("anna@example.com"), std::string::npos);
}

}  // namespace
}  // namespace tunecase
