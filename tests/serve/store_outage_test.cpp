// The gateway while its store fails: a real PostgreSQL stopped under it and started again. The
// classification feature keeps answering, /healthz and /metrics say what is happening, nothing
// answered meanwhile is lost once the store is back, and feedback is refused (503), not lost.

#include <sqlite3.h>

#include <algorithm>
#include <mutex>

#include "../store/postgres_server.h"
#include "gateway_fixture.h"
#include "tunecase/data/utf8_check.h"
#include "tunecase/http/server.h"

namespace tunecase::serve::testing {
namespace {

// Polls `done` for up to 30 s.
template <typename Done>
bool eventually(Done done) {
  for (int i = 0; i < 300 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return done();
}

std::string metric(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return "";
  at += name.size() + 2;
  return text.substr(at, text.find('\n', at) - at);
}

TEST_F(GatewayTest, APostgresOutageLosesNoAnsweredPredictionAndKeepsTheFeatureUp) {
  auto server = tunecase::testing::PostgresServer::start_own();
  if (!server) GTEST_SKIP() << tunecase::testing::PostgresServer::why_not();
  std::string url = server->new_database();
  GatewayOptions o = options(url);
  o.log.retry_first = std::chrono::milliseconds(50);
  o.log.retry_most = std::chrono::milliseconds(200);
  o.log.capacity = 60;  // the outage outlasts the queue: the last requests are not stored
  o.model_poll = std::chrono::milliseconds(50);
  std::mutex notes_mutex;
  std::vector<std::string> notes;
  o.notify = [&](const std::string& line) {
    std::lock_guard lock(notes_mutex);
    notes.push_back(line);
  };
  auto count_notes = [&](const std::string& part) {
    std::lock_guard lock(notes_mutex);
    return std::count_if(notes.begin(), notes.end(), [&](const std::string& line) {
      return line.find(part) != std::string::npos;
    });
  };
  start("", o);
  for (int i = 0; i < 10; ++i)
    classify({{"text", "refund for a double charge"}, {"id", "before-" + std::to_string(i)}});
  EXPECT_EQ(pilot()["log"]["queued"], 0);
  ASSERT_NE(get("/metrics").body.find("\ntunecase_labelled_total{"), std::string::npos);

  server->stop();
  std::vector<std::string> during;
  auto send_during = [&](int n) {
    for (int i = 0; i < n; ++i) {
      std::string id = "during-" + std::to_string(during.size());
      nlohmann::json answer = classify({{"text", "the app crashes at login"}, {"id", id}});
      EXPECT_TRUE(answer.contains("label")) << id << " " << answer.dump();
      during.push_back(id);
    }
  };
  // Until a commit has failed the gateway cannot know the store is down: a full queue then is
  // overload (503). The queue is far from full when the first commit fails.
  send_during(5);
  ASSERT_TRUE(eventually([&] { return body_of(get("/healthz"))["status"] == "degraded"; }))
      << get("/healthz").body;
  send_during(75);
  nlohmann::json health = body_of(get("/healthz"));
  EXPECT_EQ(health["queued"].get<int>() + health["not_stored"].get<int>(), 80) << health.dump();
  EXPECT_EQ(health["not_stored"], 20) << "a queue of 60 holds 60 of the 80";
  EXPECT_NE(health["reason"].get<std::string>().find("refused commits"), std::string::npos);
  std::string metrics = get("/metrics").body;
  EXPECT_EQ(metric(metrics, "tunecase_store_failing"), "1") << metrics;
  EXPECT_NE(metric(metrics, "tunecase_store_failed_commits_total"), "0");
  EXPECT_EQ(metric(metrics, "tunecase_log_not_stored_total"), "20");
  // The store cannot be read: the last scrape's labelled and accuracy figures, flagged stale
  // (the series had vanished, with the flag at 0).
  EXPECT_EQ(metric(metrics, "tunecase_store_figures_stale"), "1") << metrics;
  EXPECT_NE(metrics.find("\ntunecase_labelled_total{"), std::string::npos) << metrics;
  // Feedback must be durable before its 200: refused while the store is down, not lost.
  Reply fb = post("/v1/feedback", R"({"id":"before-0","label":"billing"})");
  EXPECT_EQ(fb.status, 503) << fb.body;
  EXPECT_EQ(get("/v1/pilot").status, 503);

  // The registry poll (every 50 ms here) says its failure once, not at every poll.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(count_notes("reading the model registry failed"), 1);

  ASSERT_TRUE(server->start_again());
  ASSERT_TRUE(eventually([&] { return body_of(get("/healthz"))["status"] == "ok"; }))
      << get("/healthz").body;
  nlohmann::json report = pilot();
  int64_t requests = 0;
  for (const auto& arm : report["arms"]) requests += arm["requests"].get<int64_t>();
  EXPECT_EQ(requests, 10 + 60) << "every queued prediction was stored once the store was back";
  EXPECT_EQ(report["log"]["not_stored"], 20);
  EXPECT_EQ(report["log"]["queued"], 0);
  EXPECT_FALSE(report["log"].contains("store_failing"));
  // The predictions held through the outage take feedback like any other.
  Reply late = post("/v1/feedback", nlohmann::json{{"id", during[0]}, {"label", "login"}}.dump());
  EXPECT_EQ(late.status, 200) << late.body;
  EXPECT_EQ(metric(get("/metrics").body, "tunecase_store_failing"), "0");
  // Feedback for one of the 20 not stored: a 404 that says predictions went unstored.
  Reply lost = post("/v1/feedback", nlohmann::json{{"id", during[79]}, {"label", "login"}}.dump());
  EXPECT_EQ(lost.status, 404) << lost.body;
  EXPECT_NE(lost.body.find("20 predictions were answered and not stored"), std::string::npos)
      << lost.body;
  EXPECT_TRUE(eventually([&] { return count_notes("the model registry reads again") == 1; }));
  gateway_->stop();  // while the server runs: the stop records this replica's progress
}

// An LLM answer that maps to no label is logged with an excerpt of it as its error, cut at 200
// bytes: inside a character for Japanese text. PostgreSQL refuses malformed UTF-8, so the cut
// excerpt must not reach it as it is (the whole commit was refused, and the batch lost).
TEST_F(GatewayTest, AnAnswerExcerptCutInsideACharacterIsStoredOnPostgres) {
  auto* server = tunecase::testing::PostgresServer::get();
  if (!server) GTEST_SKIP() << tunecase::testing::PostgresServer::why_not();
  std::string content;
  for (int i = 0; i < 100; ++i) content += "\xE8\xAB\x8B";  // 300 bytes, 3 per character
  content = "x" + content;                                  // so byte 200 falls inside one
  http::Server upstream({}, [content](http::Request, http::Responder r) {
    nlohmann::json body = {
        {"choices",
         {{{"index", 0},
           {"finish_reason", "stop"},
           {"message", {{"role", "assistant"}, {"content", content}}}}}},
        {"usage", {{"prompt_tokens", 20}, {"completion_tokens", 100}, {"total_tokens", 120}}}};
    r.respond(http::Response::json(200, body.dump()));
  });
  int upstream_port = upstream.start();
  start(
      "[[approach]]\nname = \"wordy-llm\"\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\n"
      "base_url = \"http://127.0.0.1:" +
          std::to_string(upstream_port) + "/v1\"\n\n[pilot]\nchampion = \"wordy-llm\"\n",
      options(server->new_database()));
  nlohmann::json a = classify({{"text", "my invoice is wrong"}, {"id", "JP-1"}});
  EXPECT_EQ(a["needs_human"], true) << a.dump();
  gateway_->stop();
  EXPECT_EQ(gateway_->log_stats().dropped, 0);
  auto logged = gateway_->store().find_prediction(a["prediction_id"].get<std::string>());
  ASSERT_TRUE(logged.has_value()) << "the prediction reached PostgreSQL";
  ASSERT_TRUE(logged->error.has_value());
  EXPECT_FALSE(invalid_utf8_offset(*logged->error)) << *logged->error;
  EXPECT_NE(logged->error->find("maps to no label"), std::string::npos);
  upstream.stop();
}

// An empty answer (a model that stopped at once) is handed to a human and counted among the
// arm's errors, not its abstentions, with what came back and why it stopped as its error: the
// store had read "the answer maps to no label: " with nothing after it.
TEST_F(GatewayTest, AnEmptyAnswerIsAnErrorThatSaysWhatCameBack) {
  http::Server upstream({}, [](http::Request, http::Responder r) {
    nlohmann::json body = {
        {"choices",
         {{{"index", 0},
           {"finish_reason", "content_filter"},
           {"message", {{"role", "assistant"}, {"content", ""}}}}}},
        {"usage", {{"prompt_tokens", 20}, {"completion_tokens", 0}, {"total_tokens", 20}}}};
    r.respond(http::Response::json(200, body.dump()));
  });
  int upstream_port = upstream.start();
  start(
      "[[approach]]\nname = \"quiet-llm\"\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\n"
      "base_url = \"http://127.0.0.1:" +
      std::to_string(upstream_port) + "/v1\"\n\n[pilot]\nchampion = \"quiet-llm\"\n");
  nlohmann::json a = classify({{"text", "my invoice is wrong"}, {"id", "E-1"}});
  EXPECT_EQ(a["needs_human"], true) << a.dump();
  EXPECT_TRUE(a["label"].is_null()) << a.dump();
  nlohmann::json report = pilot();
  EXPECT_EQ(report["arms"][0]["errors"], 1) << report["arms"][0].dump();
  EXPECT_EQ(report["arms"][0]["abstentions"], 0) << report["arms"][0].dump();
  gateway_->stop();
  auto logged = gateway_->store().find_prediction(a["prediction_id"].get<std::string>());
  ASSERT_TRUE(logged.has_value());
  ASSERT_TRUE(logged->error.has_value());
  EXPECT_EQ(*logged->error,
            "the answer maps to no label: (an empty answer; finish_reason: content_filter)");
  upstream.stop();
}

// Another process holds the SQLite store's write lock (a `sqlite3` shell in a transaction, a
// backup): the gateway's commit waits out the busy timeout, and meanwhile /v1/pilot answers
// from what is stored, saying how many answered predictions wait, instead of waiting with it.
TEST_F(GatewayTest, ASqliteStoreLockedByAnotherProcessStillGivesTheReport) {
  start();
  classify({{"text", "refund for a double charge"}, {"id", "stored"}});
  ASSERT_EQ(pilot()["log"]["queued"], 0);

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "store.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  classify({{"text", "the app crashes at login"}, {"id", "waiting"}});
  nlohmann::json report = pilot();
  int64_t requests = 0;
  for (const auto& arm : report["arms"]) requests += arm["requests"].get<int64_t>();
  EXPECT_EQ(requests, 1) << "the stored prediction";
  EXPECT_EQ(report["log"]["queued"], 1) << report["log"].dump();
  EXPECT_FALSE(report["log"].contains("store_failing"))
      << "the report came before the commit's wait ended: " << report["log"].dump();
  EXPECT_EQ(get("/metrics").status, 200);

  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  ASSERT_TRUE(eventually([&] { return pilot()["log"]["queued"] == 0; }));
  report = pilot();
  requests = 0;
  for (const auto& arm : report["arms"]) requests += arm["requests"].get<int64_t>();
  EXPECT_EQ(requests, 2);
}

// The SQLite file deleted, or moved, under a running gateway: each commit into the open file
// succeeded and was lost with it, while /healthz said ok. The gateway now sees the path no longer
// holds its file: the store fails (degraded, feedback 503), and a file moved back resumes.
TEST_F(GatewayTest, ASqliteStoreMovedAwayUnderTheGatewayFailsUntilItIsBack) {
  GatewayOptions o = options();
  o.log.retry_first = std::chrono::milliseconds(50);
  o.log.retry_most = std::chrono::milliseconds(200);
  start("", o);
  classify({{"text", "refund for a double charge"}, {"id", "before"}});
  ASSERT_TRUE(eventually([&] { return pilot()["log"]["queued"] == 0; }));
  const std::filesystem::path file = dir_ / "store.db", away = dir_ / "moved.db";
  std::filesystem::rename(file, away);
  classify({{"text", "the app crashes at login"}, {"id", "during"}});
  ASSERT_TRUE(eventually([&] { return body_of(get("/healthz"))["status"] == "degraded"; }))
      << get("/healthz").body;
  Reply fb = post("/v1/feedback", R"({"id":"before","label":"billing"})");
  EXPECT_EQ(fb.status, 503) << fb.body;
  EXPECT_FALSE(std::filesystem::exists(file)) << "nothing recreated the store behind its back";
  // A label for a prediction still in the queue is refused too, and every refusal is counted
  // (the counter had seen 2 of 94 refused labels).
  const std::string failed_before = metric(get("/metrics").body, "tunecase_feedback_failed_total");
  Reply queued = post("/v1/feedback", R"({"id":"during","label":"login"})");
  EXPECT_EQ(queued.status, 503) << queued.body;
  EXPECT_EQ(metric(get("/metrics").body, "tunecase_feedback_failed_total"),
            std::to_string(std::stoi(failed_before) + 1));

  std::filesystem::rename(away, file);
  ASSERT_TRUE(eventually([&] { return body_of(get("/healthz"))["status"] == "ok"; }))
      << get("/healthz").body;
  Reply after = post("/v1/feedback", R"({"id":"during","label":"login"})");
  EXPECT_EQ(after.status, 200) << after.body;
  auto requests = [&] {
    int64_t n = 0;
    const nlohmann::json report = pilot();  // a range over pilot()["arms"] would dangle
    for (const auto& arm : report["arms"]) n += arm["requests"].get<int64_t>();
    return n;
  };
  EXPECT_TRUE(eventually([&] { return requests() == 2; })) << pilot().dump();
}

}  // namespace
}  // namespace tunecase::serve::testing
