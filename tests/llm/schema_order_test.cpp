#include <gtest/gtest.h>

#include "tunecase/config/approach_settings.h"
#include "tunecase/llm/prompt.h"
#include "tunecase/llm/provider.h"

namespace tunecase {
namespace {

TEST(OpenAiSchema, ReasoningComesBeforeTheLabelInTheRequest) {
  // Strict structured output writes fields in `properties` order: the model must reason first.
  ApproachConfig a = approach_from_json(
      {{"name", "cot"}, {"kind", "openai"}, {"base_url", "http://127.0.0.1:9/v1"}}, "test.toml");
  auto provider = make_provider(a);
  ChatOptions options;
  options.model = "gpt-4o-mini";
  options.response_schema = label_schema({"billing", "login"}, true);
  HttpRequest request = provider->build_request({{"user", "Text: hi\nLabel:"}}, options);
  std::size_t reasoning = request.body.find("\"reasoning\":{");
  std::size_t label = request.body.find("\"label\":{");
  ASSERT_NE(reasoning, std::string::npos) << request.body;
  ASSERT_NE(label, std::string::npos) << request.body;
  EXPECT_LT(reasoning, label) << request.body;
}

}  // namespace
}  // namespace tunecase
