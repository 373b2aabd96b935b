// Redaction at the one seam where texts become requests: every strategy's requests, as received
// by a real `tunecase sim-llm` server on loopback, carry placeholders and no raw personal data;
// the process audit records what left; local_only stops an external endpoint before any request.

#include <unistd.h>

#include <mutex>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/config/approach_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/privacy/audit.h"
#include "tunecase/privacy/pii_generator.h"
#include "tunecase/runner/llm_runner.h"

namespace tunecase {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kLabels = {"billing", "shipping", "technical"};

// Tickets whose text carries generated personal data; `values` receives every raw value.
Examples tickets(std::size_t n, uint64_t seed, std::set<std::string>& values) {
  const std::vector<std::string> topics = {"refund for my invoice", "parcel delivery is late",
                                           "app crash on login"};
  auto pii = generate_pii_tickets(n, seed);
  Examples out;
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& s : pii[i].spans) values.insert(pii[i].text.substr(s.begin, s.end - s.begin));
    out.push_back(Example{"", topics[i % 3] + ". " + pii[i].text, kLabels[i % 3], "", 0});
  }
  return out;
}

class SimPrivacyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SimLlmOptions o;
    o.on_request = [this](const std::string&, const std::string& body) {
      std::lock_guard lock(mutex_);
      bodies_ += body + "\n";
    };
    server_ = std::make_unique<SimLlmServer>(o);
    port_ = server_->start();
    project_.privacy.rules = RedactionRules{builtin_pii_kinds(), {}};
    options_.progress = false;
    options_.assume_yes = true;
  }
  void TearDown() override { server_->stop(); }

  ApproachConfig approach(const std::string& prompt) {
    nlohmann::json p = {{"name", "sim-" + prompt},
                        {"kind", "openai"},
                        {"base_url", "http://127.0.0.1:" + std::to_string(port_) + "/v1"},
                        {"api_key_env", ""},
                        {"model", "sim-model"},
                        {"prompt", prompt}};
    if (prompt != "zero_shot") p["shots"] = 4;
    return approach_from_json(p, "test.toml");
  }
  std::string bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

  std::unique_ptr<SimLlmServer> server_;
  int port_ = 0;
  ProjectConfig project_;
  LlmRunOptions options_;
  std::ostringstream log_;
  std::mutex mutex_;
  std::string bodies_;
};

TEST_F(SimPrivacyTest, SimLlmReceivesNoRawPersonalDataFromAnyStrategy) {
  std::set<std::string> values;
  Examples train = tickets(60, 1, values), test = tickets(30, 2, values);
  AuditLog audit("test");
  set_process_audit(&audit);
  auto client = make_http_client(16);
  for (const char* prompt : {"zero_shot", "few_shot", "retrieval_few_shot", "chain_of_thought"}) {
    LlmRunResult r =
        run_llm_approach(approach(prompt), project_, train, test, kLabels, options_, *client, log_);
    EXPECT_EQ(r.errors, 0u) << prompt;
    EXPECT_TRUE(r.summary["redaction"]["on"].get<bool>());
    EXPECT_GT(r.summary["redaction"]["redacted"].value("email", 0), 0) << prompt;
  }
  client.reset();
  set_process_audit(nullptr);
  std::string received = bodies();
  ASSERT_NE(received.find("<EMAIL_1>"), std::string::npos);
  for (const auto& v : values) EXPECT_EQ(received.find(v), std::string::npos) << v;
  auto endpoints = audit.endpoints();
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(endpoints[0].requests, 4 * 30);
  EXPECT_TRUE(endpoints[0].local);
  EXPECT_GT(endpoints[0].redacted.at("card"), 0);
  std::string audit_json = audit.to_json().dump();
  for (const auto& v : values) EXPECT_EQ(audit_json.find(v), std::string::npos) << v;
}

TEST_F(SimPrivacyTest, OneRequestGivesOneValueOnePlaceholderAcrossExamplesAndTicket) {
  Examples train = {{"", "mail anna@example.com about the refund", "billing", "", 0},
                    {"", "parcel for bob@example.com is late", "shipping", "", 0}};
  LlmApproach a(approach("few_shot"), project_, train, kLabels);
  RedactionCounts counts;
  auto messages = a.messages("anna@example.com again: the app crashes", &counts);
  std::string all;
  for (const auto& m : messages) all += m.content + "\n";
  EXPECT_EQ(all.find("anna@example.com"), std::string::npos) << all;
  EXPECT_EQ(all.find("bob@example.com"), std::string::npos) << all;
  // The ticket's address is the first example's: the same placeholder in both.
  std::string anna = all.find("<EMAIL_1> about") != std::string::npos ? "<EMAIL_1>" : "<EMAIL_2>";
  EXPECT_NE(all.find(anna + " again"), std::string::npos) << all;
  EXPECT_EQ(counts.at("email"), 2);
  EXPECT_EQ(a.request("anna@example.com").body.find("anna@"), std::string::npos);
}

// The reuse of the redacted repeated part (system message and examples) gives exactly what
// redacting the whole request with one map gives.
TEST_F(SimPrivacyTest, ReusedPrefixRedactsLikeTheWholeRequest) {
  std::set<std::string> values;
  Examples train = tickets(40, 3, values), test = tickets(200, 4, values);
  for (const char* prompt : {"zero_shot", "few_shot", "retrieval_few_shot"}) {
    LlmApproach redacting(approach(prompt), project_, train, kLabels);
    ProjectConfig plain_project;
    LlmApproach plain(approach(prompt), plain_project, train, kLabels);
    Redactor reference(project_.privacy.rules);
    for (const auto& e : test) {
      PlaceholderMap map;
      std::vector<ChatMessage> expected = plain.messages(e.text);
      for (auto& m : expected) m.content = reference.redact(m.content, map);
      std::vector<ChatMessage> got = redacting.messages(e.text);
      ASSERT_EQ(got.size(), expected.size());
      for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_EQ(got[i].content, expected[i].content) << prompt << ": " << e.text;
    }
  }
}

TEST_F(SimPrivacyTest, WithoutRulesTextsAreSentAsTheyAre) {
  project_.privacy.rules = RedactionRules{};
  LlmApproach a(approach("zero_shot"), project_, {}, kLabels);
  EXPECT_NE(a.request("anna@example.com").body.find("anna@example.com"), std::string::npos);
}

TEST_F(SimPrivacyTest, LocalOnlyRefusesAnExternalEndpointBeforeAnyRequest) {
  project_.privacy.local_only = true;
  nlohmann::json p = {{"name", "cloud"},
                      {"kind", "openai"},
                      {"model", "gpt-4o"},
                      {"api_key_env", "TUNECASE_UNSET_KEY_FOR_PRIVACY_TEST"}};
  try {
    LlmApproach a(approach_from_json(p, "test.toml"), project_, {}, kLabels);
    FAIL() << "expected a refusal";
  } catch (const UserError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("cloud (https://api.openai.com/v1)"));
  }
  // Loopback is local: the sim-llm approach is allowed.
  EXPECT_NO_THROW(LlmApproach(approach("zero_shot"), project_, {}, kLabels));
}

}  // namespace
}  // namespace tunecase
