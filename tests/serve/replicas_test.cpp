// Two gateways on one PostgreSQL: the pilot report of either counts every request and feedback
// of both, and both route an id to the same arm.

#include <future>

#include "../store/postgres_server.h"
#include "gateway_fixture.h"

namespace tunecase::serve::testing {
namespace {

nlohmann::json send(int port, const std::string& method, const std::string& path,
                    const nlohmann::json& body = nullptr) {
  TestClient client(port);
  Reply r = client.send(method, path, body.is_null() ? "" : body.dump());
  EXPECT_EQ(r.status, 200) << path << " " << r.body << r.error;
  return body_of(r);
}

TEST_F(GatewayTest, TwoReplicasOnOnePostgresAgreeOnEveryFigure) {
  auto* server = tunecase::testing::PostgresServer::get();
  if (!server) GTEST_SKIP() << tunecase::testing::PostgresServer::why_not();
  std::string url = server->new_database();
  project("[pilot]\nchampion = \"local-linear\"\nchallenger = \"local-logreg\"\nshare = 0.5\n");
  GatewayOptions a = options(url), b = options(url);
  a.log.instance = "replica-a";
  b.log.instance = "replica-b";
  Gateway first(config_, a), second(config_, b);
  int ports[2] = {first.start(), second.start()};
  EXPECT_EQ(first.salt(), second.salt());
  const int n = 40;
  for (int i = 0; i < n; ++i) {
    std::string id = "pg-" + std::to_string(i);
    nlohmann::json one = send(ports[i % 2], "POST", "/v1/classify",
                              {{"text", "refund for a double charge"}, {"id", id}});
    nlohmann::json other =
        send(ports[(i + 1) % 2], "POST", "/v1/classify", {{"text", "still no refund"}, {"id", id}});
    EXPECT_EQ(other["arm"], one["arm"]) << id;
  }
  send(ports[0], "GET", "/v1/pilot");  // each report commits its replica's log first
  send(ports[1], "GET", "/v1/pilot");
  for (int i = 0; i < n; ++i)
    send(ports[i % 2], "POST", "/v1/feedback",
         {{"id", "pg-" + std::to_string(i)}, {"label", "billing"}});
  for (int port : ports) {
    nlohmann::json report = send(port, "GET", "/v1/pilot");
    int64_t requests = 0, labelled = 0;
    for (const auto& arm : report["arms"]) {
      requests += arm["requests"].get<int64_t>();
      labelled += arm["labelled"].get<int64_t>();
    }
    EXPECT_EQ(requests, 2 * n) << report["arms"].dump();
    EXPECT_EQ(labelled, 2 * n) << "every prediction of an id is labelled by its feedback";
  }
}

// Behind a load balancer the feedback may reach another replica than the one that answered,
// while the prediction still waits in that one's queue: the feedback waits for it (up to a
// second) instead of a 404 that loses the label. Two replicas on one SQLite file here; the
// first commits every 400 ms.
TEST_F(GatewayTest, AFeedbackAtAnotherReplicaWaitsForThePredictionInTheFirstsQueue) {
  auto [a, b] = two_replicas_on_one_file();
  Gateway first(config_, a), second(config_, b);
  int ports[2] = {first.start(), second.start()};
  for (int i = 0; i < 3; ++i) {
    std::string id = "lb-" + std::to_string(i);
    send(ports[0], "POST", "/v1/classify", {{"text", "refund for a double charge"}, {"id", id}});
    nlohmann::json fb = send(ports[1], "POST", "/v1/feedback", {{"id", id}, {"label", "billing"}});
    EXPECT_EQ(fb["predictions"], 1) << id << " " << fb.dump();
  }
  TestClient client(ports[1]);
  Reply unknown = client.send("POST", "/v1/feedback", R"({"id":"never-sent","label":"billing"})");
  EXPECT_EQ(unknown.status, 404) << unknown.body;  // after its wait: an id no one answered
}

// Many feedbacks at once, each for a prediction still in the other replica's queue: every one
// waits for it (only one at a time had, and the others got a 404 in milliseconds). And a retry
// answered by another replica after the second labelled the item takes the label when it is
// committed (it had stayed unlabelled for good).
TEST_F(GatewayTest, FeedbacksAtAnotherReplicaAllWaitAndARetryInTheQueueIsLabelled) {
  auto [a, b] = two_replicas_on_one_file();
  Gateway first(config_, a), second(config_, b);
  int ports[2] = {first.start(), second.start()};
  const int n = 12;
  for (int i = 0; i < n; ++i)
    send(ports[0], "POST", "/v1/classify",
         {{"text", "refund for a double charge"}, {"id", "many-" + std::to_string(i)}});
  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < n; ++i)
    replies.push_back(std::async(std::launch::async, [&, i] {
      TestClient client(ports[1]);
      return client.send(
          "POST", "/v1/feedback",
          nlohmann::json{{"id", "many-" + std::to_string(i)}, {"label", "billing"}}.dump());
    }));
  for (auto& reply : replies) {
    Reply r = reply.get();
    EXPECT_EQ(r.status, 200) << r.body;
  }
  // The retry: answered by the second replica first (committed), then by a third, whose answer
  // waits in its queue (a minute's window, so a slow machine cannot commit it early) while the
  // second records the label.
  GatewayOptions c = a;
  c.log.instance = "replica-c";
  c.log.window = std::chrono::seconds(60);
  Gateway third(config_, c);
  const int late = third.start();
  send(ports[1], "POST", "/v1/classify", {{"text", "refund for a double charge"}, {"id", "retry"}});
  send(ports[1], "GET", "/v1/pilot");
  send(late, "POST", "/v1/classify", {{"text", "refund for a double charge"}, {"id", "retry"}});
  nlohmann::json fb =
      send(ports[1], "POST", "/v1/feedback", {{"id", "retry"}, {"label", "billing"}});
  EXPECT_EQ(fb["predictions"], 1) << fb.dump();  // the third replica's is not committed yet
  nlohmann::json report = send(late, "GET", "/v1/pilot");  // commits the third's queue
  int64_t labelled = 0;
  for (const auto& arm : report["arms"]) labelled += arm["labelled"].get<int64_t>();
  EXPECT_EQ(labelled, n + 2) << report["arms"].dump();
}

// Replicas starting together on an empty registry: one registers each local model as champion,
// the other finds it registered; both start, and the registry has one champion per approach.
TEST_F(GatewayTest, ReplicasStartingTogetherRegisterEachModelOnce) {
  auto* server = tunecase::testing::PostgresServer::get();
  if (!server) GTEST_SKIP() << tunecase::testing::PostgresServer::why_not();
  std::string url = server->new_database();
  project("[pilot]\nchampion = \"local-linear\"\nchallenger = \"local-logreg\"\nshare = 0.5\n");
  auto start_one = [&](const std::string& instance) {
    GatewayOptions o = options(url);
    o.log.instance = instance;
    return std::make_unique<Gateway>(config_, o);
  };
  auto a = std::async(std::launch::async, start_one, "replica-a");
  auto b = std::async(std::launch::async, start_one, "replica-b");
  std::unique_ptr<Gateway> first = a.get(), second = b.get();
  for (const char* approach : {"local-linear", "local-logreg"}) {
    auto models = first->store().models(approach);
    ASSERT_EQ(models.size(), 1u) << approach;
    EXPECT_EQ(models[0].status, ModelStatus::champion);
  }
}

}  // namespace
}  // namespace tunecase::serve::testing
