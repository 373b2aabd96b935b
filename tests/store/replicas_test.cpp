// Two gateway replicas (two Store objects, each with its own connections) on one PostgreSQL,
// writing predictions and feedback at the same time: the pilot report counts all of both.

#include <gtest/gtest.h>

#include <thread>

#include "postgres_server.h"
#include "store_fixture.h"
#include "tunecase/store/store.h"

namespace tunecase::testing {
namespace {

TEST(Replicas, TwoReplicasOnOnePostgresLoseNoPredictionAndNoFeedback) {
  TUNECASE_SKIP_WITHOUT_POSTGRES();
  std::string url = PostgresServer::get()->new_database();
  std::unique_ptr<Store> replicas[2] = {open_store(url), open_store(url)};
  EXPECT_EQ(replicas[0]->put_meta_if_absent("pilot_salt", "from-0"),
            replicas[1]->put_meta_if_absent("pilot_salt", "from-1"));

  constexpr int kThreadsPerReplica = 3, kBatches = 15, kPerBatch = 10;
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    for (int t = 0; t < kThreadsPerReplica; ++t) {
      threads.emplace_back([&, r, t] {
        Store& store = *replicas[r];
        for (int b = 0; b < kBatches; ++b) {
          std::vector<PredictionRecord> batch;
          for (int i = 0; i < kPerBatch; ++i) {
            // Both replicas answer the same items: champion on replica 0, shadow on replica 1.
            std::string id = "R" + std::to_string((t * kBatches + b) * kPerBatch + i);
            batch.push_back(prediction(id, r == 0 ? "linear" : "llm",
                                       r == 0 ? Arm::champion : Arm::shadow, "a",
                                       kT0 + b * 60'000 + i));
          }
          store.log_predictions(batch);
          // Both replicas receive the feedback for every item they logged (a retrying client),
          // and every call races with the other replica's.
          for (const PredictionRecord& p : batch)
            store.record_feedback(feedback(p.request_id, "a"));
          store.record_feedback(feedback("R0", "b"));
          store.record_feedback(feedback("R0", "a"));
        }
      });
    }
  }
  for (auto& th : threads) th.join();

  constexpr int64_t kItems = kThreadsPerReplica * kBatches * kPerBatch;
  PilotQuery q;
  q.paired = {{"linear", "llm"}};
  for (auto& store : replicas) {
    auto c = store->pilot_counts(q);
    ASSERT_EQ(c.arms.size(), 2u);
    for (const ArmFigures& arm : c.arms) {
      EXPECT_EQ(arm.requests, kItems) << arm.approach;
      EXPECT_EQ(arm.labelled, kItems) << arm.approach;
      EXPECT_EQ(arm.correct, kItems) << arm.approach;
    }
    ASSERT_TRUE(c.paired);
    EXPECT_EQ(c.paired->both_right, kItems);
    int64_t confusion = 0;
    for (const auto& pair : c.confusion) confusion += pair.count;
    EXPECT_EQ(confusion, 2 * kItems);
  }
}

}  // namespace
}  // namespace tunecase::testing
