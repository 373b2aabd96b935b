#include "tunecase/runner/llm_runner.h"
#include "tunecase/config/approach_settings.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "fake_llm.h"
#include "tunecase/core/error.h"
#include "tunecase/runner/run_loop.h"

namespace tunecase {
namespace {

using testing::FakeClient;
using testing::FakeProvider;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kLabels = {"billing", "shipping", "technical"};

// Item i is labelled kLabels[i % 3] and its text names that label, so a fake "model" that
// echoes the label from the text is always right.
Examples make_items(std::size_t n) {
  Examples items;
  for (std::size_t i = 0; i < n; ++i) {
    std::string label = kLabels[i % kLabels.size()];
    items.push_back(Example{"", "ticket " + std::to_string(i) + " about " + label, label, "", 0});
  }
  return items;
}

std::string label_in(const std::string& text) {
  return text.substr(text.rfind(' ') + 1);
}

HttpResponse echo(const HttpRequest& r, int) {
  return testing::answer(label_in(testing::item_text(r)));
}

// Answers every item but those labelled technical, which it refuses with a 400 saying `why`.
FakeClient::Handler refuses_technical(std::string why) {
  return [why](const HttpRequest& r, int) {
    if (label_in(testing::item_text(r)) != "technical") return echo(r, 0);
    HttpResponse refused;
    refused.status = 400;
    refused.body = nlohmann::json{{"error", {{"message", why}}}}.dump();
    return refused;
  };
}

Price test_price() {
  return Price{1.0, 0.5, 2.0, "2025-01", "test"};
}  // USD per 1M tokens

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tunecase_runner_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options_.progress = false;
    options_.assume_yes = true;
    options_.retry_base_delay = std::chrono::milliseconds(1);
    options_.retry_max_delay = std::chrono::milliseconds(5);
    options_.concurrency = 4;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  LlmApproach approach(nlohmann::json params = nlohmann::json::object()) {
    params["model"] = "fake-model";
    params["name"] = "fake";
    params["kind"] = "openai";
    return LlmApproach(approach_from_json(params, "test.toml"), project_, {}, kLabels,
                       std::make_unique<FakeProvider>());
  }

  LlmRunResult run(FakeClient& client, const Examples& items,
                   std::optional<Price> price = test_price()) {
    LlmApproach a = approach();
    return run_llm_approach(a, items, price, options_, client, log_);
  }

  // The message of the error that ends a run of `items` items early; a test failure when the
  // run goes on to its end instead.
  std::string stop_message(FakeClient& client, std::size_t items) {
    try {
      run(client, make_items(items));
    } catch (const UserError& e) {
      return e.what();
    }
    ADD_FAILURE() << "the run went on to its end";
    return "";
  }

  std::filesystem::path dir_;
  ProjectConfig project_;
  LlmRunOptions options_;
  std::ostringstream log_;
};

double cost_of_one() {
  return cost_usd(test_price(), Usage{100, 5, 0});
}

TEST_F(RunnerTest, AnswersEveryItemInOrder) {
  FakeClient client(echo);
  Examples items = make_items(30);
  LlmRunResult r = run(client, items);
  ASSERT_EQ(r.predictions.size(), 30u);
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(r.predictions[i].label, items[i].label) << i;
    EXPECT_FALSE(r.predictions[i].error);
    EXPECT_EQ(r.predictions[i].tokens_in, 100);
    ASSERT_TRUE(r.predictions[i].cost_usd);
    EXPECT_DOUBLE_EQ(*r.predictions[i].cost_usd, cost_of_one());
  }
  EXPECT_EQ(r.evaluated, 30u);
  EXPECT_EQ(r.requests_sent, 30u);
  EXPECT_NEAR(r.spent_usd, 30 * cost_of_one(), 1e-12);
  EXPECT_EQ(r.summary["requests_sent"], 30);
}

TEST_F(RunnerTest, KeepsAtMostConcurrencyRequestsInFlight) {
  FakeClient client(echo, std::chrono::milliseconds(5));
  options_.concurrency = 3;
  LlmRunResult r = run(client, make_items(24));
  EXPECT_EQ(r.evaluated, 24u);
  EXPECT_EQ(client.max_outstanding(), 3);
}

TEST_F(RunnerTest, RetriesInjectedFaultsLosingNothingAndBillingEachItemOnce) {
  // Every item fails three ways before it is answered: 429, 500, a time-out.
  FakeClient client([](const HttpRequest& r, int attempt) {
    if (attempt == 0) return testing::status(429, {{"retry-after-ms", "1"}});
    if (attempt == 1) return testing::status(500);
    if (attempt == 2) return testing::timed_out();
    return echo(r, attempt);
  });
  Examples items = make_items(20);
  LlmRunResult r = run(client, items);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.evaluated, 20u);
  EXPECT_EQ(r.requests_sent, 80u);
  EXPECT_EQ(r.retries, 60u);
  // Each answer is billed once; the refused attempts cost nothing, and the timed-out one counts
  // at its worst case (the provider may have billed it), more than an answer but not twice one.
  const double timed_out = (r.spent_usd - 20 * cost_of_one()) / 20;
  EXPECT_GT(timed_out, cost_of_one());
  EXPECT_LT(timed_out, 10 * cost_of_one());
  EXPECT_THAT(r.summary["spent_basis"].get<std::string>(),
              HasSubstr("20 timed-out requests the provider may have billed"));
  for (std::size_t i = 0; i < items.size(); ++i) EXPECT_EQ(r.predictions[i].label, items[i].label);
}

// max_requests (optimize's max_calls) counts retries: every item's first attempt fails, so 30
// items would take 60 requests; the run sends 25, no more, and the items it did not reach or
// retry are errors of a run stopped by its cap (154 had been sent under a cap of 150).
TEST_F(RunnerTest, TheRequestCapCountsRetries) {
  FakeClient client([](const HttpRequest& r, int attempt) {
    return attempt == 0 ? testing::status(500) : echo(r, attempt);
  });
  options_.concurrency = 3;
  options_.max_requests = 25;
  LlmRunResult r = run(client, make_items(30));
  EXPECT_EQ(r.requests_sent, 25u);
  EXPECT_TRUE(r.stopped_by_budget);
  EXPECT_LT(r.evaluated, 13u);
  std::size_t not_retried = 0;
  for (const auto& p : r.predictions)
    not_retried += p.error && p.error->find("not retried: max_calls reached") == 0;
  EXPECT_GT(not_retried + r.evaluated, 0u);
  // Without the cap the same run answers every item.
  FakeClient again([](const HttpRequest& r, int attempt) {
    return attempt == 0 ? testing::status(500) : echo(r, attempt);
  });
  options_.max_requests.reset();
  LlmRunResult whole = run(again, make_items(30));
  EXPECT_EQ(whole.requests_sent, 60u);
  EXPECT_EQ(whole.evaluated, 30u);
}

// A request that timed out reached the provider, which may bill it: the cap counts each
// time-out at its worst case, so an endpoint that always times out stops at the cap instead of
// being retried for free, and a retry that no longer fits is not sent.
TEST_F(RunnerTest, TimeOutsCountAgainstTheCapAtTheirWorstCase) {
  FakeClient client([](const HttpRequest& r, int attempt) {
    return attempt < 2 ? testing::timed_out() : echo(r, attempt);
  });
  options_.concurrency = 2;
  options_.max_cost_usd = 0.0025;
  LlmRunResult r = run(client, make_items(40));
  EXPECT_TRUE(r.stopped_by_budget);
  EXPECT_LE(r.spent_usd, *options_.max_cost_usd + 1e-12);
  EXPECT_GT(r.spent_usd, 0.0);
  EXPECT_LT(r.requests_sent, 40u);
  std::size_t not_retried = 0;
  for (const auto& p : r.predictions)
    if (p.error && p.error->rfind("not retried: budget reached", 0) == 0) ++not_retried;
  EXPECT_LE(not_retried, 2u);
  for (const auto& p : r.predictions)
    if (p.error && p.error->rfind("not retried", 0) == 0) {
      EXPECT_THAT(*p.error, HasSubstr("timeout_ms")) << "the time-out is the cause to fix";
    }
  EXPECT_LE(r.retries, r.requests_sent);  // a retry the cap dropped was never sent
  EXPECT_THAT(r.summary["spent_basis"].get<std::string>(), HasSubstr("timed-out request"));
}

TEST_F(RunnerTest, HonoursRetryAfterInSecondsAndMilliseconds) {
  options_.retry_max_delay = std::chrono::seconds(1);
  FakeClient client([](const HttpRequest& r, int attempt) {
    std::string text = testing::item_text(r);
    if (attempt == 0 && text.find("ticket 0 ") == 0)
      return testing::status(429, {{"retry-after", "0.3"}});
    if (attempt == 0 && text.find("ticket 1 ") == 0)
      return testing::status(503, {{"retry-after-ms", "200"}});
    return echo(r, attempt);
  });
  Examples items = make_items(2);
  LlmRunResult r = run(client, items);
  EXPECT_EQ(r.evaluated, 2u);
  auto gap = [&](const std::string& text) {
    auto at = client.sent_at(text);
    EXPECT_EQ(at.size(), 2u);
    return std::chrono::duration_cast<std::chrono::milliseconds>(at[1] - at[0]).count();
  };
  EXPECT_GE(gap(items[0].text), 300);
  EXPECT_GE(gap(items[1].text), 200);
  // A wait asked past the back-off's ceiling is said (minutes of Retry-After looked hung); these
  // are not, under a ceiling of a second.
  EXPECT_EQ(log_.str().find("asked to wait"), std::string::npos) << log_.str();
  options_.retry_max_delay = std::chrono::milliseconds(100);
  FakeClient slow([](const HttpRequest& r, int attempt) {
    return attempt == 0 ? testing::status(429, {{"retry-after", "0.3"}}) : echo(r, attempt);
  });
  run(slow, make_items(1));
  EXPECT_NE(log_.str().find("asked to wait (HTTP 429, Retry-After); retrying in 0.3 s"),
            std::string::npos)
      << log_.str();
}

TEST_F(RunnerTest, RecordsAnErrorAfterMaxAttemptsAndKeepsTheRest) {
  FakeClient client([](const HttpRequest& r, int attempt) {
    if (testing::item_text(r).find("ticket 2 ") == 0) return testing::status(500);
    return echo(r, attempt);
  });
  options_.max_attempts = 3;
  Examples items = make_items(5);
  LlmRunResult r = run(client, items);
  ASSERT_TRUE(r.predictions[2].error);
  EXPECT_THAT(*r.predictions[2].error, HasSubstr("3 attempts"));
  EXPECT_THAT(*r.predictions[2].error, HasSubstr("500"));
  EXPECT_EQ(r.predictions[2].label, "");
  EXPECT_EQ(client.attempts(items[2].text), 3);
  EXPECT_EQ(r.errors, 1u);
  EXPECT_EQ(r.evaluated, 4u);
  EXPECT_EQ(r.predictions[3].label, items[3].label);
}

TEST_F(RunnerTest, BadRequestIsNotRetried) {
  FakeClient client([](const HttpRequest&, int) {
    HttpResponse refused = testing::status(400);
    refused.elapsed_ms = 12.5;
    return refused;
  });
  LlmRunResult r = run(client, make_items(3));
  EXPECT_EQ(r.requests_sent, 3u);
  EXPECT_EQ(r.errors, 3u);
  EXPECT_THAT(*r.predictions[0].error, HasSubstr("1 attempt: HTTP 400"));
  // A failed item's time is the attempt's, as predictions.jsonl writes it (it had been 0).
  for (const auto& p : r.predictions) EXPECT_DOUBLE_EQ(p.latency_ms, 12.5);
}

// An account out of credit: OpenAI's 429 insufficient_quota and Anthropic's 400 "credit balance
// is too low" stop the run at once, saying what to do. The 429 had been retried with back-off
// like a rate limit (and the 400, after an answer, taken as each item's own refusal).
TEST_F(RunnerTest, AnAccountOutOfCreditStopsTheRunWithoutRetrying) {
  for (
      const auto& [status, body] : std::vector<std::pair<long, std::string>>{
          {429,
           R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","code":"insufficient_quota"}})"},
          {400,
           R"({"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}})"}}) {
    FakeClient client([status, body](const HttpRequest&, int) {
      HttpResponse r = testing::status(status);
      r.body = body;
      return r;
    });
    options_.max_attempts = 4;
    const Examples items = make_items(50);
    std::string stop;
    try {
      run(client, items);
    } catch (const UserError& e) {
      stop = e.what();
    }
    EXPECT_THAT(stop, HasSubstr("out of credit or over its spending quota")) << status;
    EXPECT_THAT(stop, HasSubstr("add credit or raise the limit")) << status;
    EXPECT_LE(client.requests(), 8u) << status;
    for (const auto& item : items)
      EXPECT_LE(client.attempts(item.text), 1) << "retried: " << status;
  }
  EXPECT_TRUE(says_out_of_credit("HTTP 429: You exceeded your current quota"));
  EXPECT_FALSE(says_out_of_credit("HTTP 429: Rate limit reached for requests"));
}

// A base_url that already ends with /chat/completions: every request meets a 404. The run stops
// at the first, naming base_url; it had sent every item and scored the approach 0%.
TEST_F(RunnerTest, NoSuchApiPathStopsTheRunAndNamesBaseUrl) {
  FakeClient client([](const HttpRequest&, int) { return testing::status(404); });
  const std::string stop = stop_message(client, 200);
  EXPECT_THAT(stop, HasSubstr("answered HTTP 404"));
  EXPECT_THAT(stop, HasSubstr("check that base_url does not end with it"));
  EXPECT_LE(client.requests(), 8u);
}

// vLLM and Ollama answer a model they do not serve with a 404: said as the model, not as a
// wrong base_url (it had been advised to check base_url, which was right).
TEST_F(RunnerTest, AnUnknownModelsNotFoundNamesTheModelNotTheUrl) {
  for (
      const char* body :
      {R"({"object":"error","message":"The model `qwen2.5-7b` does not exist.","type":"NotFoundError","code":404})",
       R"({"error":{"message":"model \"qwen2.5-7b\" not found, try pulling it first"}})"}) {
    FakeClient client([body](const HttpRequest&, int) {
      HttpResponse r = testing::status(404);
      r.body = body;
      return r;
    });
    const std::string stop = stop_message(client, 50);
    EXPECT_THAT(stop, HasSubstr("does not serve the model")) << body;
    EXPECT_THAT(stop, HasSubstr("check `model`")) << body;
    EXPECT_THAT(stop, Not(HasSubstr("base_url does not end with it"))) << body;
  }
}

// The same refusal for every item (a request field the server rejects) ends the run after the
// twenty in a row that end any run; a few refusals among answers do not (BadRequestIsNotRetried).
TEST_F(RunnerTest, TwentyRefusalsInARowEndTheRun) {
  FakeClient client([](const HttpRequest&, int) { return testing::status(400); });
  const std::string stop = stop_message(client, 200);
  EXPECT_THAT(stop, HasSubstr("the last 20 items each failed"));
  EXPECT_LT(client.requests(), 40u);
}

TEST_F(RunnerTest, RejectedKeyStopsTheRunWithAUserError) {
  FakeClient client([](const HttpRequest&, int) { return testing::status(401); });
  try {
    run(client, make_items(50));
    ADD_FAILURE() << "a rejected key did not stop the run";
  } catch (const UserError& e) {
    // The provider's own message, and where the key comes from (this approach sends none).
    EXPECT_THAT(e.what(), HasSubstr("injected")) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("set api_key_env")) << e.what();
  }
  EXPECT_LE(client.requests(), 8u);  // stopped after the first answers, not after 50 items
}

TEST_F(RunnerTest, UnreachableEndpointIsAUserError) {
  FakeClient client([](const HttpRequest&, int) {
    HttpResponse r;
    r.transport_error = "connection refused to fake.invalid";
    return r;
  });
  options_.max_attempts = 2;
  try {
    run(client, make_items(10));
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot reach http://fake.invalid/v1/chat"));
    EXPECT_THAT(e.what(), HasSubstr("connection refused"));
  }
}

// A server that goes away mid-run: the run ends after a few dozen items fail one after another,
// instead of trying every item left five times over minutes and reporting an accuracy diluted
// by the failures.
TEST_F(RunnerTest, AnEndpointThatStopsAnsweringMidRunEndsTheRun) {
  std::atomic<int> calls{0};
  FakeClient client([&calls](const HttpRequest& r, int) {
    if (calls++ < 30) return echo(r, 0);
    HttpResponse refused;
    refused.transport_error = "connection refused";
    return refused;
  });
  options_.max_attempts = 2;
  const std::string stop = stop_message(client, 400);
  EXPECT_THAT(stop, HasSubstr("stopped answering: the last 20 items each failed"));
  EXPECT_THAT(stop, HasSubstr("connection refused"));
  EXPECT_THAT(stop, HasSubstr("A run again sends every item (--no-cache: nothing was kept)"));
  EXPECT_LT(client.requests(), 150u);
}

// Failures among answers are counted and the run goes on.
TEST_F(RunnerTest, ScatteredFailuresDoNotEndTheRun) {
  FakeClient client([](const HttpRequest& r, int) {
    if (label_in(testing::item_text(r)) != "technical") return echo(r, 0);
    HttpResponse failed;
    failed.status = 500;
    failed.body = "boom";
    return failed;
  });
  options_.max_attempts = 2;
  LlmRunResult result = run(client, make_items(120));
  EXPECT_EQ(result.errors, 40u);
  EXPECT_EQ(result.evaluated, 80u);  // answered; the failures count as wrong
}

// An answer that named no label because the API filtered or cut it says so in the samples
// report.md quotes (an empty one had read as a blank sample).
TEST_F(RunnerTest, InvalidSamplesSayWhyAnEmptyOrCutAnswerNamedNoLabel) {
  std::atomic<int> calls{0};
  FakeClient client([&calls](const HttpRequest& r, int) {
    const int n = calls++;
    HttpResponse odd = testing::answer("");
    if (n % 10 == 3) {
      odd.body = R"({"text": "", "in": 100, "out": 0, "finish": "content_filter"})";
      return odd;
    }
    if (n % 10 == 7) {
      odd.body = R"({"text": "The ticket is about", "in": 100, "out": 5, "finish": "length"})";
      return odd;
    }
    return echo(r, 0);
  });
  options_.concurrency = 1;
  LlmRunResult r = run(client, make_items(40));
  ASSERT_GE(r.invalid_samples.size(), 2u);
  EXPECT_THAT(r.invalid_samples,
              ::testing::Contains("(an empty answer; finish_reason: content_filter)"));
  EXPECT_THAT(r.invalid_samples,
              ::testing::Contains("The ticket is about (finish_reason: length)"));
}

// A server that redirects (http:// where it wants https://, a moved host) is not followed: the
// run ends at the first answer and names the address to put in base_url (it had said "HTTP 301:"
// twenty times, and that a run again would send every item).
TEST_F(RunnerTest, ARedirectEndsTheRunAndNamesTheAddress) {
  FakeClient client([](const HttpRequest&, int) {
    HttpResponse moved;
    moved.status = 301;
    moved.headers["location"] = "https://llm.example.com/v1/chat/completions";
    return moved;
  });
  const std::string stop = stop_message(client, 200);
  EXPECT_THAT(stop, HasSubstr("redirects to https://llm.example.com/v1/chat/completions"));
  EXPECT_THAT(stop,
              HasSubstr("set base_url = \"https://llm.example.com/v1\" if that is the server"));
  EXPECT_LE(client.requests(), 16u);  // the requests in flight at most
}

// A run again of a finished run whose errors were the items' own 400s (a content filter, a
// text too long): the cache answers the rest, and only those items are sent, one after another.
// The endpoint answered this request shape before, so their refusals do not stop the run (it
// stopped every run again after twenty, and left no eval.json).
TEST_F(RunnerTest, ARunAgainSendingOnlyItemsTheServerRefusesGoesOn) {
  options_.cache_file = dir_ / "cache.sqlite";
  options_.max_attempts = 1;
  auto refusing = refuses_technical("content filter");
  FakeClient first_client(refusing);
  LlmRunResult first = run(first_client, make_items(120));
  ASSERT_EQ(first.errors, 40u);
  FakeClient again_client(refusing);
  LlmRunResult again = run(again_client, make_items(120));  // no UserError: it goes on
  EXPECT_EQ(again_client.requests(), 40u);
  EXPECT_EQ(again.errors, 40u);
  EXPECT_EQ(again.cache_hits, 80u);
}

// An endpoint whose every answer is unreadable (an HTML page from a proxy) ends the run too.
TEST_F(RunnerTest, AnEndpointThatOnlyGarblesEndsTheRun) {
  FakeClient client([](const HttpRequest&, int) {
    HttpResponse page;
    page.status = 200;
    page.body = "<html>login required</html>";
    return page;
  });
  const std::string stop = stop_message(client, 200);
  EXPECT_THAT(stop, HasSubstr("gave no usable answer"));
  EXPECT_THAT(stop, HasSubstr("unreadable answer"));
  EXPECT_LT(client.requests(), 60u);
}

// A model whose every answer names no label (a prompt or model that answers in prose): the run
// ends after 20 such answers in a row instead of paying for every item (it had gone on to its
// end, 100% unreadable). Such answers among labels are counted and the run goes on.
TEST_F(RunnerTest, AModelWhoseAnswersNameNoLabelEndsTheRun) {
  FakeClient prose([](const HttpRequest&, int) { return testing::answer("no idea, sorry"); });
  const std::string stop = stop_message(prose, 200);
  EXPECT_THAT(stop, HasSubstr("the last 20 answers from"));
  EXPECT_THAT(stop, HasSubstr("named no label (the last began: 'no idea, sorry')"));
  EXPECT_LT(prose.requests(), 60u);
  // With a cache: the answers that stopped the run are not kept, so a run again once the model
  // answers asks for them (they had been replayed, and every run again stopped at once).
  options_.cache_file = dir_ / "cache.sqlite";
  FakeClient prose_again([](const HttpRequest&, int) { return testing::answer("no idea"); });
  EXPECT_THROW(run(prose_again, make_items(200)), UserError);
  FakeClient fixed(echo);
  LlmRunResult after = run(fixed, make_items(200));
  EXPECT_EQ(after.invalid, 0u);
  EXPECT_EQ(after.evaluated, 200u);
  EXPECT_EQ(fixed.requests(), 200u);
  options_.cache_file.clear();
  std::atomic<int> calls{0};
  FakeClient mixed([&calls](const HttpRequest& r, int) {
    return calls++ % 3 == 0 ? testing::answer("no idea") : echo(r, 0);
  });
  LlmRunResult result = run(mixed, make_items(120));
  EXPECT_EQ(result.evaluated, 120u);
  EXPECT_GE(result.invalid, 30u);
}

TEST_F(RunnerTest, StopsBeforeTheSpendWouldPassTheCap) {
  FakeClient client(echo);
  options_.concurrency = 2;
  // Worst case of one request: its estimated input and max_tokens (64) of output.
  options_.max_cost_usd = 0.0025;
  Examples items = make_items(40);
  LlmRunResult r = run(client, items);
  EXPECT_TRUE(r.stopped_by_budget);
  EXPECT_LE(r.spent_usd, *options_.max_cost_usd);
  EXPECT_GT(r.evaluated, 0u);
  EXPECT_LT(r.evaluated, 40u);
  EXPECT_EQ(r.requests_sent, r.evaluated);
  std::size_t not_run = 0;
  for (const auto& p : r.predictions) {
    if (p.error && *p.error == "not run: budget reached") ++not_run;
  }
  EXPECT_EQ(not_run + r.evaluated, 40u);
  EXPECT_EQ(r.summary["stopped_by_budget"], true);
}

// An endpoint that answers without a usage block (some proxies and self-hosted servers): the
// cost of each answer is unknown, never $0, and the cap still holds, each answer charged the
// worst case reserved for it.
TEST_F(RunnerTest, AnswersWithoutTokenUsageAreChargedTheirWorstCaseSoTheCapHolds) {
  FakeClient client([](const HttpRequest& r, int) {
    return testing::answer(label_in(testing::item_text(r)), 0, 0);
  });
  options_.concurrency = 2;
  options_.max_cost_usd = 0.0025;
  LlmRunResult r = run(client, make_items(40));
  EXPECT_TRUE(r.stopped_by_budget);
  EXPECT_GT(r.evaluated, 0u);
  EXPECT_LT(r.evaluated, 40u);
  EXPECT_GT(r.spent_usd, 0.0);
  EXPECT_LE(r.spent_usd, *options_.max_cost_usd);
  for (const auto& p : r.predictions)
    if (!p.error) {
      EXPECT_FALSE(p.cost_usd.has_value()) << "an unknown cost is not $0";
    }
  // Every answer so charged: nothing of it measured, and said so.
  EXPECT_THAT(r.summary["spent_basis"].get<std::string>(),
              HasSubstr("whose token counts were missing or could not be true"));
  EXPECT_THAT(r.summary["spent_basis"].get<std::string>(), HasSubstr("nothing measured"));
  EXPECT_EQ(r.charged_worst_case, r.evaluated);  // optimize's spend says how many were so charged
}

// A 2xx answer that cannot be read (an event stream, a compressed body, JSON without choices)
// was answered, and likely billed: it costs the worst case reserved for it, so the cap holds
// (it had been charged $0, and a run with many such answers passed its cap).
TEST_F(RunnerTest, UnreadableAnswersAreChargedTheirWorstCaseSoTheCapHolds) {
  std::atomic<int> calls{0};
  FakeClient client([&calls](const HttpRequest& r, int) {
    if (calls++ % 2 == 0) return echo(r, 0);
    HttpResponse stream;
    stream.status = 200;
    stream.body = "data: {\"choices\": []}\n\n";
    return stream;
  });
  options_.concurrency = 1;
  options_.max_cost_usd = 0.0025;
  LlmRunResult r = run(client, make_items(40));
  EXPECT_TRUE(r.stopped_by_budget);
  EXPECT_GT(r.errors, 0u);
  EXPECT_LE(r.spent_usd, *options_.max_cost_usd);
  double measured = 0;
  for (const auto& p : r.predictions) measured += p.cost_usd.value_or(0);
  EXPECT_GT(r.spent_usd, measured * 1.5) << "each unreadable answer charged its worst case";
  EXPECT_THAT(r.summary["spent_basis"].get<std::string>(), HasSubstr("could not be read"));
}

// An answer cut off mid-body after its HTTP 200 header was answered, and likely billed: it is
// retried (the item still needs an answer), and the cut attempt costs its worst case, so the
// cap holds (it had been charged $0, and a cap of $0.01 let $0.019 be billed).
TEST_F(RunnerTest, AnAnswerCutOffAfterItsHeaderIsChargedItsWorstCase) {
  FakeClient client([](const HttpRequest& r, int attempt) {
    if (attempt > 0) return echo(r, 0);
    HttpResponse cut;
    cut.transport_error = "request to 127.0.0.1 failed: end of stream";
    cut.status_before_failure = 200;
    return cut;
  });
  options_.concurrency = 1;
  options_.max_cost_usd = 0.0025;
  LlmRunResult r = run(client, make_items(40));
  EXPECT_TRUE(r.stopped_by_budget);
  EXPECT_LE(r.spent_usd, *options_.max_cost_usd);
  double measured = 0;
  for (const auto& p : r.predictions) measured += p.cost_usd.value_or(0);
  EXPECT_GT(r.spent_usd, measured * 1.5) << "each cut attempt charged its worst case";
  EXPECT_THAT(r.summary["spent_basis"].get<std::string>(), HasSubstr("cut off after HTTP 2xx"));
}

// Which items a run scored (not "not run").
std::vector<std::size_t> scored_items(const LlmRunResult& r) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < r.predictions.size(); ++i) {
    const auto& e = r.predictions[i].error;
    if (!e || e->rfind("not run", 0) != 0) out.push_back(i);
  }
  return out;
}

TEST_F(RunnerTest, BudgetStopLeavesASeededRandomSampleNotTheFirstItems) {
  options_.concurrency = 1;
  options_.max_cost_usd = 0.0025;
  Examples items = make_items(60);
  FakeClient client(echo);
  LlmRunResult r = run(client, items);
  ASSERT_TRUE(r.stopped_by_budget);
  std::vector<std::size_t> scored = scored_items(r);
  ASSERT_GT(scored.size(), 1u);
  ASSERT_LT(scored.size(), 30u);
  // Not a prefix of the file: on a file sorted by label that would be a biased sample.
  EXPECT_GT(scored.back(), scored.size() + 5) << "scored the first items of the file";
  for (std::size_t i : scored) EXPECT_EQ(r.predictions[i].label, items[i].label) << i;  // aligned

  // The same seed stops on the same items; another seed on other items.
  FakeClient again(echo);
  EXPECT_EQ(scored_items(run(again, items)), scored);
  options_.order_seed = 8;
  FakeClient other(echo);
  EXPECT_NE(scored_items(run(other, items)), scored);
}

// A rerun under a cap too small for one request, on the cache of a run with errors (errors are
// not cached): the cache's answers after the first item the cap stops are left out too, so the
// scored items are a prefix of the seeded order. Scoring every cached answer had scored exactly
// the items that answered before and dropped those that failed: 100% where the run read 67%.
TEST_F(RunnerTest, ARerunUnderACapScoresAPrefixOfTheOrderNotEveryCachedAnswer) {
  options_.cache_file = dir_ / "cache.sqlite";
  options_.max_attempts = 1;
  auto failing = refuses_technical("bad request");
  Examples items = make_items(60);
  FakeClient first_client(failing);
  LlmRunResult first = run(first_client, items);
  ASSERT_EQ(first.errors, 20u);
  options_.max_cost_usd = 0.00001;  // less than one request's worst case
  FakeClient second_client(failing);
  LlmRunResult second = run(second_client, items);
  ASSERT_TRUE(second.stopped_by_budget);
  EXPECT_EQ(second_client.requests(), 0u);
  EXPECT_GT(second.cached_left_out, 0u);
  EXPECT_EQ(second.evaluated + second.cached_left_out, 40u);  // every cached answer accounted
  EXPECT_EQ(second.cache_hits, second.evaluated);
  std::vector<std::size_t> order = send_order(items.size(), options_.order_seed);
  bool stopped = false;
  std::size_t scored = 0;
  for (std::size_t i : order) {
    const auto& e = second.predictions[i].error;
    const bool not_run = e && e->rfind("not run", 0) == 0;
    if (stopped) {
      EXPECT_TRUE(not_run) << "item " << i << " scored after the stop";
    }
    stopped = stopped || not_run;
    scored += not_run ? 0 : 1;
  }
  EXPECT_EQ(scored, second.evaluated);
  EXPECT_EQ(second.summary["cached_left_out"], second.cached_left_out);
}

TEST_F(RunnerTest, UnknownPriceIsAskedLikeAnExpensiveRun) {
  FakeClient client(echo);
  options_.assume_yes = false;
  std::string asked;
  options_.confirm = [&](const std::string& q) {
    asked = q;
    return false;
  };
  try {
    run(client, make_items(5), std::nullopt);
    ADD_FAILURE() << "an unpriced run went ahead without being confirmed";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--yes"));
    EXPECT_THAT(e.what(), HasSubstr("price"));
  }
  EXPECT_THAT(asked, HasSubstr("UNKNOWN cost"));
  EXPECT_EQ(client.requests(), 0u);
  options_.confirm = [](const std::string&) { return true; };
  EXPECT_EQ(run(client, make_items(5), std::nullopt).evaluated, 5u);
  options_.confirm = [](const std::string&) -> bool { throw std::logic_error("asked"); };
  options_.assume_yes = true;  // --yes never asks
  EXPECT_EQ(run(client, make_items(5), std::nullopt).evaluated, 5u);
}

TEST_F(RunnerTest, MaxCostWithoutAPriceIsAUserError) {
  FakeClient client(echo);
  options_.max_cost_usd = 1.0;
  EXPECT_THROW(run(client, make_items(2), std::nullopt), UserError);
  EXPECT_EQ(client.requests(), 0u);
}

TEST_F(RunnerTest, UnknownPriceGivesNullCostAndALoudWarningOnce) {
  FakeClient client(echo);
  LlmRunResult r = run(client, make_items(3), std::nullopt);
  EXPECT_FALSE(r.price_known);
  EXPECT_FALSE(r.predictions[0].cost_usd);
  EXPECT_TRUE(r.summary["spent_usd"].is_null());
  std::string log = log_.str();
  EXPECT_THAT(log, HasSubstr("WARNING"));
  EXPECT_EQ(log.find("WARNING"), log.rfind("WARNING"));
}

TEST_F(RunnerTest, SecondRunIsAnsweredFromTheCacheWithoutARequest) {
  options_.cache_file = dir_ / "cache.sqlite";
  Examples items = make_items(12);
  FakeClient first(echo);
  LlmRunResult a = run(first, items);
  EXPECT_EQ(a.requests_sent, 12u);
  FakeClient second([](const HttpRequest&, int) { return testing::status(500); });
  LlmRunResult b = run(second, items);
  EXPECT_EQ(second.requests(), 0u);
  EXPECT_EQ(b.requests_sent, 0u);
  EXPECT_EQ(b.cache_hits, 12u);
  EXPECT_EQ(b.spent_usd, 0);
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(b.predictions[i].label, a.predictions[i].label);
    EXPECT_EQ(b.predictions[i].cost_usd, a.predictions[i].cost_usd);  // what the call cost
  }
}

// A cached answer that cannot be read is asked again once: the fresh answer replaces it (it was
// kept beside the unreadable one, which was found first, so the item was paid on every run).
TEST_F(RunnerTest, AnUnreadableCachedAnswerIsReplacedNotPaidForOnEveryRun) {
  options_.cache_file = dir_ / "cache.sqlite";
  Examples items = make_items(12);
  FakeClient first(echo);
  run(first, items);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options_.cache_file.string().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "UPDATE responses SET body = '{\"garbage' WHERE id IN (SELECT id FROM "
                           "responses ORDER BY id LIMIT 3)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  FakeClient second(echo);
  run(second, items);
  EXPECT_EQ(second.requests(), 3u);
  FakeClient third(echo);
  LlmRunResult r = run(third, items);
  EXPECT_EQ(third.requests(), 0u);
  EXPECT_EQ(r.cache_hits, 12u);
}

// Token counts no request could have produced (output past max_tokens), or more input tokens
// than the cap reserved (half the body's bytes), are unknown: the answer is charged its worst
// case, and the cap holds. An
// answer reporting 100,000 output tokens to a request allowing 64 passed a $0.05 cap 20 times.
TEST_F(RunnerTest, ImpossibleTokenCountsAreChargedTheWorstCaseSoTheCapHolds) {
  // -1: all but one of the body's bytes, plausible for a tokenizer but more than the cap
  // reserved (half the bytes), which let a $0.005 cap be passed by half.
  for (auto [in, out] : {std::pair<int64_t, int64_t>{100, 100000}, {10000000, 5}, {-1, 5}}) {
    FakeClient client([in = in, out = out](const HttpRequest& r, int) {
      const int64_t tokens_in = in < 0 ? static_cast<int64_t>(r.body.size()) - 1 : in;
      return testing::answer(label_in(testing::item_text(r)), tokens_in, out);
    });
    options_.concurrency = 2;
    options_.max_cost_usd = 0.0025;
    LlmRunResult r = run(client, make_items(40));
    EXPECT_TRUE(r.stopped_by_budget) << in << " " << out;
    EXPECT_GT(r.evaluated, 0u);
    EXPECT_LE(r.spent_usd, *options_.max_cost_usd) << in << " " << out;
    for (const auto& p : r.predictions)
      if (!p.error) {
        EXPECT_FALSE(p.cost_usd.has_value()) << in << " " << out;
      }
  }
}

TEST_F(RunnerTest, ResumedRunSendsOnlyWhatWasNotAnswered) {
  options_.cache_file = dir_ / "cache.sqlite";
  Examples items = make_items(10);
  FakeClient first(echo);
  run(first, Examples(items.begin(), items.begin() + 6));
  FakeClient second(echo);
  LlmRunResult r = run(second, items);
  EXPECT_EQ(r.cache_hits, 6u);
  EXPECT_EQ(second.requests(), 4u);
}

TEST_F(RunnerTest, CacheAndLogNeverContainTheApiKey) {
  options_.cache_file = dir_ / "cache.sqlite";
  options_.out_dir = dir_ / "out";
  options_.progress = true;
  FakeClient client([](const HttpRequest& r, int attempt) {
    return attempt == 0 ? testing::status(429) : echo(r, attempt);
  });
  run(client, make_items(10));
  EXPECT_EQ(log_.str().find(testing::kFakeKey), std::string::npos);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(testing::kFakeKey), std::string::npos) << entry.path();
  }
}

TEST_F(RunnerTest, SavesThePromptOfTheFirstItem) {
  options_.out_dir = dir_ / "out";
  FakeClient client(echo);
  Examples items = make_items(3);
  run(client, items);
  std::ifstream in(dir_ / "out" / "prompts" / "fake.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("[system]\n"));
  EXPECT_THAT(text, HasSubstr("Text: " + items[0].text + "\nLabel:"));
}

TEST_F(RunnerTest, PrintsTheEstimateBeforeSending) {
  FakeClient client(echo);
  run(client, make_items(4));
  EXPECT_THAT(log_.str(), HasSubstr("4 to send"));
  EXPECT_THAT(log_.str(), HasSubstr("estimated cost $"));
}

TEST_F(RunnerTest, AsksBeforeAnExpensiveRunAndStopsWhenRefused) {
  FakeClient client(echo);
  options_.assume_yes = false;
  options_.confirm_above_usd = 0.0001;
  std::string asked;
  options_.confirm = [&](const std::string& q) {
    asked = q;
    return false;
  };
  EXPECT_THROW(run(client, make_items(10)), UserError);
  EXPECT_THAT(asked, HasSubstr("estimated"));
  EXPECT_EQ(client.requests(), 0u);
  options_.confirm = [](const std::string&) { return true; };
  EXPECT_EQ(run(client, make_items(10)).evaluated, 10u);
}

// A cap is consent up to the cap: a capped run above the threshold is not asked about (a
// command of many runs without a terminal stopped part-way, after spending, though capped).
TEST_F(RunnerTest, ACappedRunIsNotAsked) {
  FakeClient client(echo);
  options_.assume_yes = false;
  options_.confirm_above_usd = 0.0001;
  options_.max_cost_usd = 10.0;
  options_.confirm = [](const std::string&) -> bool { throw std::logic_error("asked"); };
  EXPECT_EQ(run(client, make_items(10)).evaluated, 10u);
}

TEST_F(RunnerTest, CheapRunIsNotAsked) {
  FakeClient client(echo);
  options_.assume_yes = false;
  options_.confirm = [](const std::string&) -> bool { throw std::logic_error("asked"); };
  EXPECT_EQ(run(client, make_items(3)).evaluated, 3u);
}

TEST_F(RunnerTest, InvalidAnswersCountAsInvalidWithSamples) {
  FakeClient client([](const HttpRequest&, int) { return testing::answer("I cannot tell"); });
  LlmRunResult r = run(client, make_items(8));
  EXPECT_EQ(r.invalid, 8u);
  EXPECT_TRUE(r.predictions[0].invalid);
  EXPECT_EQ(r.predictions[0].raw, "I cannot tell");
  EXPECT_EQ(r.invalid_samples.size(), 5u);
}

TEST_F(RunnerTest, RequestsPerMinuteLimitSpacesRequests) {
  FakeClient client(echo);
  options_.concurrency = 8;
  LlmApproach a = approach({{"rpm", 600}});  // 10 per second, a bucket of 10
  auto start = std::chrono::steady_clock::now();
  LlmRunResult r = run_llm_approach(a, make_items(15), test_price(), options_, client, log_);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.evaluated, 15u);
  EXPECT_GE(seconds, 0.45);  // 10 at once, then 5 more at 10/s
}

TEST_F(RunnerTest, PlainProgressLinesShowCountsAccuracyAndSpend) {
  FakeClient client(echo);
  options_.progress = true;
  run(client, make_items(6));
  EXPECT_THAT(log_.str(), HasSubstr("fake: 6/6"));
  EXPECT_THAT(log_.str(), HasSubstr("accuracy 100.0%"));
  EXPECT_THAT(log_.str(), HasSubstr("spent $"));
}

// A command made of many runs asks once its spend so far plus a run's estimate passes the
// threshold, and a yes covers the rest of it: each run was asked about alone, so twenty runs of
// $0.10 were never asked about.
TEST(CommandSpendGate, AsksOnTheCommandsSpendAndAYesCoversTheRest) {
  std::vector<std::string> questions;
  std::ostringstream log;
  CommandSpendGate gate(
      1.0, false, [&](const std::string& q) { return questions.push_back(q), true; }, log);
  LlmRunOptions run;
  gate.prepare(run);
  EXPECT_FALSE(run.assume_yes);
  EXPECT_DOUBLE_EQ(run.confirm_above_usd, 1.0);
  gate.add_spent(0.8);
  gate.prepare(run);
  EXPECT_NEAR(run.confirm_above_usd, 0.2, 1e-12);
  ASSERT_TRUE(run.confirm);
  EXPECT_TRUE(run.confirm("api: this run may cost about $0.30. Continue?"));
  ASSERT_EQ(questions.size(), 1u);
  EXPECT_NE(questions[0].find("This command has spent $0.8000 so far; with this run it may pass "
                              "$1.00"),
            std::string::npos)
      << questions[0];
  gate.prepare(run);
  EXPECT_TRUE(run.assume_yes) << "a yes covers the rest of the command";
  CommandSpendGate yes(1.0, true, nullptr, log);
  yes.prepare(run);
  EXPECT_TRUE(run.assume_yes);
}

}  // namespace
}  // namespace tunecase
