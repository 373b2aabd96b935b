// The runner's single-request path against `tunecase sim-llm` over real HTTP on loopback.

#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "fake_llm.h"
#include "tunecase/config/approach_settings.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/runner/budget.h"
#include "tunecase/runner/llm_caller.h"

namespace tunecase {
namespace {

const std::vector<std::string> kLabels = {"billing", "shipping", "technical"};

ApproachConfig sim_approach(int port) {
  return approach_from_json({{"name", "sim"},
                             {"kind", "openai"},
                             {"base_url", "http://127.0.0.1:" + std::to_string(port) + "/v1"},
                             {"model", "sim-model"},
                             {"price", {{"input", 1.0}, {"output", 2.0}}}},
                            "test.toml");
}

class LlmCallerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    client_.reset();  // completes what is in flight while the callers still live
    if (server_) server_->stop();
  }
  int start(SimLlmOptions o) {
    server_ = std::make_unique<SimLlmServer>(o);
    return server_->start();
  }
  // Classifies `texts` concurrently and waits for every answer.
  std::vector<Prediction> classify_all(LlmCaller& caller, const std::vector<std::string>& texts) {
    std::vector<std::promise<Prediction>> promises(texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i)
      caller.classify(texts[i], [&promises, i](Prediction p) { promises[i].set_value(p); });
    std::vector<Prediction> out;
    for (auto& p : promises) out.push_back(p.get_future().get());
    return out;
  }

  ProjectConfig project_;
  std::unique_ptr<HttpClient> client_ = make_http_client(64);
  std::unique_ptr<SimLlmServer> server_;
};

TEST_F(LlmCallerTest, AnswersConcurrentRequestsWithMeasuredCost) {
  int port = start({});
  LlmApproach approach(sim_approach(port), project_, {}, kLabels);
  LlmCaller caller(approach, Price{1.0, 1.0, 2.0, "", "test"}, {}, *client_);
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) texts.push_back("my invoice " + std::to_string(i) + " is wrong");
  auto predictions = classify_all(caller, texts);
  for (const auto& p : predictions) {
    EXPECT_FALSE(p.error) << *p.error;
    EXPECT_FALSE(p.label.empty());
    EXPECT_GT(p.tokens_in, 0);
    ASSERT_TRUE(p.cost_usd);
    EXPECT_GT(*p.cost_usd, 0);
  }
  LlmCallStats s = caller.stats();
  EXPECT_EQ(s.requests_sent, 40u);
  EXPECT_TRUE(s.simulated);
  EXPECT_GT(s.spent_usd, 0);
}

// An endpoint that never answers: the call's attempts end within its deadline (the gateway's
// 504 had come while retries still ran on, and the failure was logged 30 s later).
TEST_F(LlmCallerTest, AttemptsEndWithinTheCallsDeadline) {
  SimLlmOptions o;
  o.rate_timeout = 1.0;
  int port = start(o);
  LlmApproach approach(sim_approach(port), project_, {}, kLabels);
  LlmCallOptions options;
  options.timeout = std::chrono::milliseconds(400);
  options.max_attempts = 5;
  options.retry_base_delay = std::chrono::milliseconds(1);
  options.retry_max_delay = std::chrono::milliseconds(5);
  options.deadline = std::chrono::milliseconds(900);
  LlmCaller caller(approach, std::nullopt, options, *client_);
  auto start = std::chrono::steady_clock::now();
  auto predictions = classify_all(caller, {"my invoice is wrong"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(predictions[0].error);
  EXPECT_TRUE(predictions[0].timed_out);
  EXPECT_LT(seconds, 1.5);  // five attempts of 0.4 s would take 2 s
  EXPECT_GE(seconds, 0.7);
  EXPECT_LE(caller.stats().requests_sent, 3u);
}

// A deadline given to one call bounds that call alone (the gateway's fallback call, which starts
// late); the caller's other calls keep its own (a shorter bound on the whole champion had failed
// every request routed straight to a slow champion).
TEST_F(LlmCallerTest, ADeadlineForOneCallBoundsThatCallAlone) {
  SimLlmOptions o;
  o.latency_base_ms = 300;
  int port = start(o);
  auto approach =
      std::make_shared<const LlmApproach>(sim_approach(port), project_, Examples{}, kLabels);
  LlmCallOptions options;
  options.deadline = std::chrono::milliseconds(5000);
  LlmCaller caller(*approach, std::nullopt, options, *client_);
  std::promise<Prediction> short_one, whole_one;
  caller.classify(
      approach, "my invoice is wrong", [&](Prediction p) { short_one.set_value(p); },
      std::chrono::milliseconds(100));
  caller.classify(approach, "my invoice is wrong", [&](Prediction p) { whole_one.set_value(p); });
  Prediction cut = short_one.get_future().get();
  Prediction answered = whole_one.get_future().get();
  ASSERT_TRUE(cut.error);
  EXPECT_TRUE(cut.timed_out);
  EXPECT_FALSE(answered.error) << *answered.error;
}

// A provider's Retry-After past the call's deadline: the call fails at once, and says why it was
// not retried (it read "failed after 1 attempt: HTTP 429" and nothing more).
TEST_F(LlmCallerTest, ARetryAfterPastTheDeadlineIsSaid) {
  SimLlmOptions o;
  o.rate_429 = 1.0;
  o.retry_after_s = 70;
  int port = start(o);
  LlmApproach approach(sim_approach(port), project_, {}, kLabels);
  LlmCallOptions options;
  options.deadline = std::chrono::milliseconds(2000);
  LlmCaller caller(approach, std::nullopt, options, *client_);
  auto predictions = classify_all(caller, {"my invoice is wrong"});
  ASSERT_TRUE(predictions[0].error);
  EXPECT_NE(predictions[0].error->find("not retried: the wait before the next attempt (70.0 s, "
                                       "as the provider's Retry-After asks)"),
            std::string::npos)
      << *predictions[0].error;
  EXPECT_EQ(caller.stats().requests_sent, 1u);
}

// A wait for the rate limit that would pass the call's deadline is not made: the call fails at
// once, and nothing is sent after its client has had the gateway's 504.
TEST_F(LlmCallerTest, ARateLimitWaitPastTheDeadlineFailsAtOnce) {
  int port = start({});
  nlohmann::json config = {{"name", "sim"},
                           {"kind", "openai"},
                           {"base_url", "http://127.0.0.1:" + std::to_string(port) + "/v1"},
                           {"model", "sim-model"},
                           {"rpm", 1}};
  LlmApproach approach(approach_from_json(config, "test.toml"), project_, {}, kLabels);
  LlmCallOptions options;
  options.deadline = std::chrono::milliseconds(2000);
  LlmCaller caller(approach, std::nullopt, options, *client_);
  auto start = std::chrono::steady_clock::now();
  auto predictions = classify_all(caller, {"my invoice is wrong", "the parcel is late"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int refused = 0;
  for (const auto& p : predictions)
    if (p.error && p.error->find("not sent: the rate limit") != std::string::npos) ++refused;
  EXPECT_EQ(refused, 1);
  EXPECT_LT(seconds, 1.5);  // not a minute's wait for the second slot
  EXPECT_EQ(caller.stats().requests_sent, 1u);
}

TEST_F(LlmCallerTest, RetriesRateLimitedAndFailedAttempts) {
  SimLlmOptions o;
  o.rate_429 = 0.3;
  o.rate_500 = 0.1;
  o.retry_after_s = 0.01;
  int port = start(o);
  LlmApproach approach(sim_approach(port), project_, {}, kLabels);
  LlmCallOptions options;
  options.max_attempts = 8;
  options.retry_base_delay = std::chrono::milliseconds(2);
  options.retry_max_delay = std::chrono::milliseconds(20);
  LlmCaller caller(approach, std::nullopt, options, *client_);
  std::vector<std::string> texts(30, "parcel lost in delivery");
  for (std::size_t i = 0; i < texts.size(); ++i) texts[i] += " " + std::to_string(i);
  auto predictions = classify_all(caller, texts);
  std::size_t answered = 0;
  for (const auto& p : predictions) answered += !p.error;
  EXPECT_GE(answered, 29u);
  EXPECT_GT(caller.stats().retries, 0u);
  EXPECT_GT(server_->stats().rate_limited, 0u);
}

TEST_F(LlmCallerTest, CacheAnswersASecondAskWithoutARequest) {
  int port = start({});
  std::filesystem::path cache = std::filesystem::temp_directory_path() /
                                ("tunecase_caller_cache_" + std::to_string(::getpid()));
  std::filesystem::remove(cache);
  LlmApproach approach(sim_approach(port), project_, {}, kLabels);
  LlmCallOptions options;
  options.cache_file = cache;
  LlmCaller caller(approach, Price{1.0, 1.0, 2.0, "", "test"}, options, *client_);
  auto first = classify_all(caller, {"app crashes on login"});
  auto second = classify_all(caller, {"app crashes on login"});
  EXPECT_EQ(first[0].label, second[0].label);
  EXPECT_EQ(caller.stats().requests_sent, 1u);
  EXPECT_EQ(caller.stats().cache_hits, 1u);
  EXPECT_EQ(*second[0].cost_usd, 0.0);  // paid once
  std::filesystem::remove(cache);
}

// A cache that cannot be written (the disk under it full) costs no answer: the write had thrown
// out of the response handler, the call never finished, and every request waited for the
// gateway's 504, paid for and logged nowhere. The process's file-size limit stands in for the
// full disk (SQLite then reports "database or disk is full").
TEST_F(LlmCallerTest, ACacheThatCannotBeWrittenCostsNoAnswer) {
  int port = start({});
  std::filesystem::path cache = std::filesystem::temp_directory_path() /
                                ("tunecase_caller_full_" + std::to_string(::getpid()));
  std::filesystem::remove(cache);
  LlmApproach approach(sim_approach(port), project_, {}, kLabels);
  LlmCallOptions options;
  options.cache_file = cache;
  LlmCaller caller(approach, Price{1.0, 1.0, 2.0, "", "test"}, options, *client_);
  ASSERT_FALSE(classify_all(caller, {"warm the cache file"})[0].error);
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit full = old_limit;
  full.rlim_cur = 0;  // no file of this process grows any more
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &full), 0);
  std::vector<std::string> texts;
  for (int i = 0; i < 20; ++i)
    texts.push_back("a long new text to cache number " + std::to_string(i) +
                    std::string(4000, 'x'));
  auto predictions = classify_all(caller, texts);
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  for (const auto& p : predictions) {
    EXPECT_FALSE(p.error) << *p.error;
    EXPECT_FALSE(p.label.empty());
  }
  EXPECT_EQ(caller.stats().requests_sent, 21u);
  std::filesystem::remove(cache);
}

TEST_F(LlmCallerTest, SpendCapRefusesInsteadOfPaying) {
  int port = start({});
  LlmApproach approach(sim_approach(port), project_, {}, kLabels);
  LlmCallOptions options;
  options.max_cost_usd = 0.0;
  LlmCaller caller(approach, Price{1.0, 1.0, 2.0, "", "test"}, options, *client_);
  auto p = classify_all(caller, {"refund please"});
  ASSERT_TRUE(p[0].error);
  EXPECT_NE(p[0].error->find("spend cap"), std::string::npos);
  EXPECT_EQ(server_->stats().completions, 0u);
}

// Requests that reached the provider and brought back no usage to price (a time-out, a 2xx cut
// off or unreadable, a copy resent on a closed kept-alive connection) may have been billed: each
// is counted on its prediction, whose cost is then unknown (it had been $0), and costs the spend
// cap its worst case.
TEST(LlmCallerUnpriced, RequestsBilledWithoutUsageAreCountedAndChargedAtTheirWorstCase) {
  using testing::answer;
  testing::FakeClient client([](const HttpRequest& request, int attempt) {
    const std::string text = testing::item_text(request);
    if (text == "times out") return testing::timed_out();
    if (text == "cut once" && attempt == 0) {
      HttpResponse cut;
      cut.status_before_failure = 200;
      cut.transport_error = "the connection closed mid-body";
      return cut;
    }
    if (text == "unreadable") {
      HttpResponse garbage;
      garbage.status = 200;
      garbage.body = "<html>a proxy's page</html>";
      return garbage;
    }
    HttpResponse r = answer("billing", 100, 5);
    if (text == "resent") r.copies_sent = 2;
    return r;
  });
  ProjectConfig project;
  LlmApproach approach(
      approach_from_json(
          {{"name", "fake"}, {"kind", "openai"}, {"model", "fake-model"}, {"max_tokens", 8}},
          "test.toml"),
      project, {}, kLabels, std::make_unique<testing::FakeProvider>());
  LlmCallOptions options;
  options.max_attempts = 2;
  options.retry_base_delay = std::chrono::milliseconds(1);
  options.retry_max_delay = std::chrono::milliseconds(2);
  options.max_cost_usd = 1000.0;  // metered: the cap's spend is what is checked
  const Price price{1.0, 1.0, 2.0, "", "test"};
  LlmCaller caller(approach, price, options, client);
  std::map<std::string, Prediction> got;
  for (const char* text : {"plain", "times out", "cut once", "unreadable", "resent"}) {
    std::promise<Prediction> done;
    caller.classify(text, [&done](Prediction p) { done.set_value(std::move(p)); });
    got[text] = done.get_future().get();
  }
  EXPECT_EQ(got["plain"].unpriced_attempts, 0);
  EXPECT_EQ(got["times out"].unpriced_attempts, 2) << "both attempts reached the provider";
  EXPECT_TRUE(got["times out"].error);
  EXPECT_EQ(got["cut once"].unpriced_attempts, 1);
  EXPECT_FALSE(got["cut once"].error) << "answered on its retry";
  EXPECT_TRUE(got["cut once"].cost_usd);
  EXPECT_EQ(got["unreadable"].unpriced_attempts, 1);
  EXPECT_TRUE(got["unreadable"].error);
  EXPECT_EQ(got["resent"].unpriced_attempts, 1);
  // Spent: the four answers' measured costs, and each unpriced request at its worst case.
  double expected = 0;
  for (const auto& [text, p] : got)
    expected += p.cost_usd.value_or(0) +
                p.unpriced_attempts * worst_case_usd(price, approach.request(text).body,
                                                     approach.options().max_tokens);
  EXPECT_NEAR(caller.stats().spent_usd, expected, 1e-12);
  EXPECT_GT(expected, got["plain"].cost_usd.value_or(0) * 4);
}

TEST_F(LlmCallerTest, UnreachableEndpointFailsEveryCallWithoutHanging) {
  LlmApproach approach(sim_approach(9), project_, {}, kLabels);
  LlmCallOptions options;
  options.max_attempts = 2;
  options.retry_base_delay = std::chrono::milliseconds(1);
  LlmCaller caller(approach, std::nullopt, options, *client_);
  auto p = classify_all(caller, {"a", "b"});
  for (const auto& x : p) {
    ASSERT_TRUE(x.error);
    EXPECT_NE(x.error->find("failed after 2 attempts"), std::string::npos) << *x.error;
  }
}

}  // namespace
}  // namespace tunecase
