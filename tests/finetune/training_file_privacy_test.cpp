// The fine-tuning files are redacted like every request (docs/privacy.md): one placeholder map
// per training line, labels never redacted.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

// An over-long example names its line of the training file (it said only "an example of about
// 87045 tokens", with no way to find the row).
TEST(TrainingFileChecks, AnOverLongExampleNamesItsLine) {
  auto line = [](const std::string& text, const std::string& label) {
    return nlohmann::json{{"messages",
                           {{{"role", "user"}, {"content", text}},
                            {{"role", "assistant"}, {"content", label}}}}}
               .dump() +
           "\n";
  };
  std::string jsonl;
  for (int i = 0; i < 12; ++i) jsonl += line("short text " + std::to_string(i), "a");
  jsonl += line(std::string(4000, 'x') + " long", "b");
  TrainingLimits limits;
  limits.max_example_tokens = 500;
  TrainingFileReport r = validate_training_file("train.jsonl", jsonl, {"a", "b"}, limits);
  std::string problems;
  for (const auto& p : r.problems) problems += p + "\n";
  EXPECT_NE(problems.find("train.jsonl:13: an example of about"), std::string::npos) << problems;
  // With the data rows the lines were made from, the row is named by its id and its line in the
  // data file, which is what the user edits, and the setting that cuts long texts is said.
  Examples rows(13);
  for (int i = 0; i < 13; ++i) {
    rows[i].id = "T-" + std::to_string(i);
    rows[i].line = static_cast<std::size_t>(i) + 2;
  }
  r = validate_training_file("train.jsonl", jsonl, {"a", "b"}, limits, &rows);
  problems.clear();
  for (const auto& p : r.problems) problems += p + "\n";
  EXPECT_NE(problems.find("train.jsonl:13 (data row T-12, line 14 of the data file): an example"),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("max_text_chars"), std::string::npos) << problems;
}

}  // namespace
}  // namespace tunecase
