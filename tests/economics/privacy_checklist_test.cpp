// Checklist question 6 answered from [privacy] (docs/privacy.md): which approaches keep data in.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/economics/checklist.h"
#include "tunecase/economics/inputs.h"

namespace tunecase::econ {
namespace {

using ::testing::HasSubstr;

const std::string kBase = R"([data]
path = "x.csv"

[business]
queries_per_day = 1000
cost_per_error_usd = 2
engineer_usd_per_week = 5000
{}
[[approach]]
name = "gpt"
kind = "openai"
accuracy = 0.8
usd_per_query = 0.01

[[approach]]
name = "vllm"
kind = "openai"
base_url = "http://10.0.0.7:8000/v1"
accuracy = 0.75
usd_per_query = 0.001

[[approach]]
name = "local-linear"
kind = "linear"
accuracy = 0.7
usd_per_query = 0.0001
{}
)";

ChecklistItem question_six(const std::string& business_extra, const std::string& privacy) {
  std::string text = kBase;
  text.replace(text.find("{}"), 2, business_extra);
  text.replace(text.find("{}"), 2, privacy);
  Scenario s = read_scenario(parse_config(text, "p.toml"), nullptr);
  return fill_checklist(s).items.at(5);
}

TEST(PrivacyChecklist, WithoutPrivacyOrBusinessAnswerItStaysUnknown) {
  ChecklistItem q = question_six("", "");
  EXPECT_FALSE(q.answer.has_value());
  EXPECT_EQ(q.source, "unknown");
}

TEST(PrivacyChecklist, RedactionOrLocalOnlyAnswersYesAndNamesWhereDataGoes) {
  ChecklistItem q =
      question_six("", "[privacy]\nredact = [\"email\"]\nallowed_hosts = [\"10.0.0.0/8\"]\n");
  ASSERT_TRUE(q.answer.has_value());
  EXPECT_TRUE(*q.answer);
  EXPECT_EQ(q.source, "config");
  EXPECT_THAT(q.evidence, HasSubstr("redact = [email]"));
  EXPECT_THAT(q.evidence, HasSubstr("data stays in: vllm, local-linear"));
  EXPECT_THAT(q.evidence, HasSubstr("data leaves: gpt"));
}

TEST(PrivacyChecklist, AnExplicitBusinessAnswerWinsAndKeepsTheAccount) {
  ChecklistItem q = question_six("data_sensitive = false\n", "[privacy]\nlocal_only = true\n");
  ASSERT_TRUE(q.answer.has_value());
  EXPECT_FALSE(*q.answer);
  EXPECT_THAT(q.evidence, HasSubstr("[business] data_sensitive = false"));
  EXPECT_THAT(q.evidence, HasSubstr("local_only = true"));
  EXPECT_THAT(q.evidence, HasSubstr("data leaves: gpt, vllm"));
}

}  // namespace
}  // namespace tunecase::econ
