// Provider drift: the canary set through a real HTTP endpoint (the in-process sim-llm), its first
// run kept as the baseline, at most one run a day, and an alert when the answers change under
// the same model name (simulated here by a baseline the endpoint no longer matches).
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "monitor_fixture.h"
#include "tunecase/config/config.h"
#include "tunecase/data/synthetic.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/monitor/canary.h"
#include "tunecase/runner/budget.h"

namespace tunecase::monitor {
namespace {

using testing::kT0;

class Canary : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    SyntheticOptions o;
    o.tickets = 60;
    o.seed = 11;
    for (const auto& t : generate_tickets(o)) {
      Example e;
      e.text = t.text;
      e.label = t.category;
      canary_.push_back(e);
    }
    for (const auto& [label, description] : synthetic_label_descriptions())
      labels_.push_back(label);
    http_ = make_http_client(4);
  }

  ProjectConfig config(int port, const std::string& model = "sim-llm") {
    std::string toml = "[[approach]]\nname = \"api\"\nkind = \"openai\"\nmodel = \"" + model +
                       "\"\n"
                       "base_url = \"http://127.0.0.1:" +
                       std::to_string(port) +
                       "/v1\"\n\n[[approach]]\nname = \"local\"\nkind = \"linear\"\n\n[labels]\n";
    for (const auto& [label, description] : synthetic_label_descriptions())
      toml += label + " = \"" + description + "\"\n";
    std::ofstream(dir_ / "tunecase.toml") << toml;
    return load_config(dir_ / "tunecase.toml");
  }

  std::vector<CanaryResult> run(const ProjectConfig& c, int64_t now_ms, bool yes = true,
                                std::optional<double> max_cost = std::nullopt) {
    CanaryOptions o;
    o.now_ms = now_ms;
    o.attempts = 2;
    o.assume_yes = yes;
    o.max_cost_usd = max_cost;
    std::ostringstream quiet;
    o.log = &quiet;
    return run_canary(c, *store_, canary_, {}, labels_, *http_, o);
  }

  Examples canary_;
  std::vector<std::string> labels_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(Canary, TheFirstRunIsTheBaselineAndAnUnchangedProviderRaisesNothing) {
  SimLlmServer sim(SimLlmOptions{});
  ProjectConfig c = config(sim.start());
  auto first = run(c, kT0);
  ASSERT_EQ(first.size(), 1u) << "only the LLM approach is sent the canary";
  EXPECT_TRUE(first[0].ran);
  EXPECT_TRUE(first[0].baseline_run);
  EXPECT_TRUE(first[0].simulated);
  EXPECT_EQ(first[0].finding.state, RuleState::unknown);
  EXPECT_EQ(first[0].items, 60);
  EXPECT_GT(first[0].right, 15) << "well above chance (1 in 12): sim-llm reads the descriptions";

  auto soon = run(c, kT0 + 3 * 3'600'000);
  EXPECT_FALSE(soon[0].ran);
  EXPECT_NE(soon[0].note.find("at most once"), std::string::npos) << soon[0].note;

  auto next_day = run(c, kT0 + kDayMs);
  ASSERT_TRUE(next_day[0].ran);
  EXPECT_FALSE(next_day[0].baseline_run);
  EXPECT_EQ(next_day[0].flips, 0) << "temperature 0: the same answers";
  EXPECT_EQ(next_day[0].right, first[0].right);
  EXPECT_EQ(next_day[0].finding.state, RuleState::clear);
  // Only answers and the set's fingerprint are kept, never the texts.
  std::string baseline = store_->meta("canary.api.baseline").value_or("");
  EXPECT_EQ(baseline.find(canary_[0].text.substr(0, 20)), std::string::npos);
  auto doc = canary_json(next_day);
  EXPECT_EQ(doc[0]["state"], "clear");
  EXPECT_EQ(doc[0]["basis"], "simulated (tunecase sim-llm)");
}

TEST_F(Canary, AnswersThatChangedUnderTheSameNameFireTheAlert) {
  SimLlmServer sim(SimLlmOptions{});
  ProjectConfig c = config(sim.start());
  auto first = run(c, kT0);
  ASSERT_LT(first[0].right, 55) << "the test needs some wrong answers to flip";
  // The baseline of a month ago: the provider's model then answered every item right.
  nlohmann::json baseline = nlohmann::json::parse(*store_->meta("canary.api.baseline"));
  for (std::size_t i = 0; i < canary_.size(); ++i) baseline["answers"][i] = canary_[i].label;
  store_->set_meta("canary.api.baseline", baseline.dump());
  auto later = run(c, kT0 + 30 * kDayMs);
  ASSERT_TRUE(later[0].ran);
  EXPECT_EQ(later[0].baseline_right, 60);
  EXPECT_EQ(later[0].flips, 60 - later[0].right);
  EXPECT_LT(later[0].mcnemar.p_value, 0.05);
  EXPECT_EQ(later[0].finding.state, RuleState::firing);
  EXPECT_EQ(later[0].finding.kind, kProviderDrift);
  EXPECT_NE(later[0].finding.message.find("significant drop"), std::string::npos)
      << later[0].finding.message;
  EXPECT_NE(canary_markdown(later).find("**ALERT**"), std::string::npos);
}

TEST_F(Canary, AnUnreachableEndpointIsReportedAndStoresNothing) {
  ProjectConfig c = config(1);  // nothing listens on port 1
  auto results = run(c, kT0);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].errors, 60);
  EXPECT_EQ(results[0].finding.state, RuleState::unknown);
  EXPECT_NE(results[0].note.find("failed"), std::string::npos) << results[0].note;
  EXPECT_FALSE(store_->meta("canary.api.baseline").has_value());
  EXPECT_FALSE(store_->meta("canary.api.last").has_value());
}

// The canary spends as every command that calls an API does: an unknown price is asked about
// (no terminal: not sent), a cap refuses an estimate above it, and what was spent is recorded
// (it sent the whole file with no estimate, question, cap or record).
TEST_F(Canary, SpendIsEstimatedConfirmedCappedAndRecorded) {
  SimLlmServer sim(SimLlmOptions{});
  int port = sim.start();
  ProjectConfig unpriced = config(port);
  EXPECT_THROW(run(unpriced, kT0, /*yes=*/false), SpendNotConfirmed);
  EXPECT_THROW(run(unpriced, kT0, /*yes=*/false, 100.0), SpendNotConfirmed);
  EXPECT_EQ(sim.stats().requests, 0u) << "nothing is sent before the spend is consented to";

  ProjectConfig priced = config(port, "gpt-4o-mini");
  EXPECT_THROW(run(priced, kT0, /*yes=*/false, 1e-6), SpendNotConfirmed);
  EXPECT_EQ(sim.stats().requests, 0u);
  auto ran = run(priced, kT0, /*yes=*/false, 1.0);  // consent up to $1: 60 short requests fit
  ASSERT_EQ(ran.size(), 1u);
  EXPECT_TRUE(ran[0].ran);
  EXPECT_GT(ran[0].tokens_in, 0);
  ASSERT_TRUE(ran[0].spent_usd.has_value());
  EXPECT_GT(*ran[0].spent_usd, 0.0);
  EXPECT_LE(*ran[0].spent_usd, 1.0);
  EXPECT_TRUE(canary_json(ran)[0]["spent_usd"].is_number());
  EXPECT_NE(canary_markdown(ran).find("Spent: $"), std::string::npos);
  sim.stop();
}

// An endpoint that answers every request with a label and no token usage (some proxies and
// self-hosted servers), every other one's body cut off after its 200.
class NoUsageClient : public HttpClient {
 public:
  void submit(HttpRequest, std::function<void(HttpResponse)> done) override {
    HttpResponse r;
    if (++calls_ % 2 == 0) {
      r.transport_error = "the connection closed mid-body";
      r.status_before_failure = 200;
    } else {
      r.status = 200;
      r.body = R"({"choices":[{"message":{"content":"billing"},"finish_reason":"stop"}]})";
    }
    done(std::move(r));
  }
  int calls_ = 0;
};

// Answers the provider billed but reported no cost for: counted at their worst case, and said,
// as every command that calls an API counts them (the canary had written "$0.0000 (measured)").
TEST_F(Canary, BilledAnswersWithoutUsageAreNeverZero) {
  NoUsageClient endpoint;
  ProjectConfig priced = config(1, "gpt-4o-mini");
  CanaryOptions o;
  o.now_ms = kT0;
  o.attempts = 2;
  o.assume_yes = true;
  std::ostringstream quiet;
  o.log = &quiet;
  auto ran = run_canary(priced, *store_, canary_, {}, labels_, endpoint, o);
  ASSERT_EQ(ran.size(), 1u);
  ASSERT_TRUE(ran[0].spent_usd.has_value());
  EXPECT_GT(*ran[0].spent_usd, 0.0);
  EXPECT_EQ(ran[0].tokens_in, 0);
  // 60 answers, and a cut attempt before each but the first (then answered on its retry).
  EXPECT_NE(ran[0].spent_basis.find("plus the worst case of 60 answers without token usage and "
                                    "59 answers cut off"),
            std::string::npos)
      << ran[0].spent_basis;
  EXPECT_NE(canary_json(ran)[0]["basis"].get<std::string>().find("worst case"), std::string::npos);
}

// Rate-limited: every first try is a 429 asking to wait 7 s (Retry-After), the retry answers.
class RateLimitedClient : public HttpClient {
 public:
  void submit(HttpRequest request, std::function<void(HttpResponse)> done) override {
    timeouts_.push_back(request.timeout);
    HttpResponse r;
    if (++calls_ % 2 == 1) {
      r.status = 429;
      r.headers["retry-after"] = "7";
      r.body = R"({"error":{"message":"rate limited"}})";
    } else {
      r.status = 200;
      r.body = R"({"choices":[{"message":{"content":"billing"},"finish_reason":"stop"}],)"
               R"("usage":{"prompt_tokens":50,"completion_tokens":1}})";
    }
    done(std::move(r));
  }
  int calls_ = 0;
  std::vector<std::chrono::milliseconds> timeouts_;
};

// A retry waits as long as the provider asked (Retry-After) when that is longer than the
// back-off: the canary had retried after 1 s, into the same rate limit.
TEST_F(Canary, ARetryWaitsForTheRetryAfterTheProviderAsked) {
  RateLimitedClient endpoint;
  ProjectConfig priced = config(1, "gpt-4o-mini");
  CanaryOptions o;
  o.now_ms = kT0;
  o.attempts = 2;
  o.assume_yes = true;
  std::vector<std::chrono::milliseconds> waits;
  o.sleep = [&](std::chrono::milliseconds wait) { waits.push_back(wait); };
  std::ostringstream quiet;
  o.log = &quiet;
  auto ran = run_canary(priced, *store_, canary_, {}, labels_, endpoint, o);
  ASSERT_EQ(ran.size(), 1u);
  ASSERT_FALSE(waits.empty());
  for (auto wait : waits) EXPECT_EQ(wait, std::chrono::milliseconds(7000));
  EXPECT_EQ(waits.size(), static_cast<std::size_t>(endpoint.calls_ / 2));
  // Each attempt has the approach's timeout_ms (it had had the client's 60 s default).
  ProjectConfig timed = config(1, "gpt-4o-mini");
  timed.approaches.front().llm.timeout_ms = 2000;
  RateLimitedClient again;
  o.force = true;
  run_canary(timed, *store_, canary_, {}, labels_, again, o);
  ASSERT_FALSE(again.timeouts_.empty());
  for (auto t : again.timeouts_) EXPECT_EQ(t, std::chrono::milliseconds(2000));
}

}  // namespace
}  // namespace tunecase::monitor
