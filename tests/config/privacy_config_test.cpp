#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/config/privacy_policy.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

using ::testing::HasSubstr;

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "p.toml");
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(PrivacyConfig, IsTypedOnceWithCompiledRules) {
  ProjectConfig c = parse_config(R"(
[privacy]
redact = ["phone", "email", "custom"]
custom = { employee_id = "EMP-######", case_ref = "CASE\\##+" }
local_only = true
allowed_hosts = ["vllm.corp.internal", "10.0.0.0/8", "*.gpu.internal"]
)",
                                 "p.toml");
  EXPECT_TRUE(c.privacy.present);
  EXPECT_TRUE(c.privacy.local_only);
  // Built-in kinds in precedence order, whatever order the file lists them in.
  EXPECT_EQ(c.privacy.rules.kinds, (std::vector<std::string>{"email", "phone"}));
  ASSERT_EQ(c.privacy.rules.custom.size(), 2u);
  Redactor r(c.privacy.rules);
  EXPECT_EQ(r.redact("EMP-123456 on CASE#7, anna@example.com"),
            "<EMPLOYEE_ID_1> on <CASE_REF_1>, <EMAIL_1>");
  EXPECT_EQ(c.privacy.allowed_hosts.size(), 3u);
}

TEST(PrivacyConfig, AbsentTableRedactsNothingAndAllowsEveryEndpoint) {
  ProjectConfig c = parse_config("", "p.toml");
  EXPECT_FALSE(c.privacy.present);
  EXPECT_TRUE(c.privacy.rules.empty());
  EXPECT_FALSE(c.privacy.local_only);
}

TEST(PrivacyConfig, RejectsUnknownKindsKeysAndBadPatternsWithTheirLine) {
  EXPECT_THAT(error_of("[privacy]\nredact = [\"emails\"]\n"),
              AllOf(HasSubstr("p.toml:2"), HasSubstr("redact"), HasSubstr("did you mean")));
  EXPECT_THAT(error_of("[privacy]\nlocal_onyl = true\n"), HasSubstr("local_only"));
  EXPECT_THAT(error_of("[privacy]\nredact = [\"custom\"]\ncustom = { x = \"+#\" }\n"),
              AllOf(HasSubstr("custom"), HasSubstr("`+` must follow")));
  EXPECT_THAT(error_of("[privacy]\nredact = [\"custom\"]\ncustom = { Bad = \"#\" }\n"),
              HasSubstr("lower_snake_case"));
  EXPECT_THAT(error_of("[privacy]\nredact = [\"custom\"]\ncustom = { x = 3 }\n"),
              HasSubstr("text in quotes"));
  EXPECT_THAT(error_of("[privacy]\nredact = [\"custom\"]\n"), HasSubstr("no patterns"));
  EXPECT_THAT(error_of("[privacy]\ncustom = { x = \"#\" }\n"),
              HasSubstr("does not list \"custom\""));
  EXPECT_THAT(error_of("[privacy]\nallowed_hosts = [\"https://vllm.corp\"]\n"),
              HasSubstr("not a URL"));
  EXPECT_THAT(error_of("privacy = 3\n"), HasSubstr("must be a table"));
}

TEST(PrivacyConfig, IsListedInTheConfigurationReference) {
  std::string reference = configuration_reference();
  EXPECT_THAT(reference, HasSubstr("## `[privacy]`"));
  EXPECT_THAT(reference, HasSubstr("`allowed_hosts`"));
  EXPECT_THAT(reference, HasSubstr("`custom`"));
}

TEST(LocalOnly, RefusesEveryExternalApproachByNameAndWhyAndNothingElse) {
  ProjectConfig c = parse_config(R"(
[privacy]
local_only = true
allowed_hosts = ["10.0.0.0/8"]

[[approach]]
name = "cloud"
kind = "openai"
model = "gpt-4o"

[[approach]]
name = "claude"
kind = "anthropic"
model = "claude-3-5-haiku-latest"

[[approach]]
name = "vllm"
kind = "openai"
model = "llama"
base_url = "http://10.1.2.3:8000/v1"

[[approach]]
name = "ollama"
kind = "openai"
model = "llama"
base_url = "http://localhost:11434/v1"

[[approach]]
name = "linear"
kind = "linear"
)",
                                 "p.toml");
  try {
    enforce_local_only(c.privacy, c.approaches);
    FAIL() << "expected a refusal";
  } catch (const UserError& e) {
    std::string m = e.what();
    EXPECT_THAT(m, HasSubstr("cloud (https://api.openai.com/v1): host api.openai.com"));
    EXPECT_THAT(m, HasSubstr("claude (https://api.anthropic.com/v1)"));
    EXPECT_THAT(m, HasSubstr("nothing was sent"));
    EXPECT_THAT(m, Not(HasSubstr("vllm (")));
    EXPECT_THAT(m, Not(HasSubstr("ollama (")));
    EXPECT_THAT(m, Not(HasSubstr("linear (")));
  }
  EXPECT_TRUE(approach_locality(c.approaches[2], c.privacy).local);
  EXPECT_EQ(approach_locality(c.approaches[4], c.privacy).reason, "runs in-process");
  c.privacy.local_only = false;
  EXPECT_NO_THROW(enforce_local_only(c.privacy, c.approaches));
}

}  // namespace
}  // namespace tunecase
