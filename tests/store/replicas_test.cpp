// Two gateway replicas (two Store objects, each with its own connections) on one PostgreSQL,
// writing predictions and feedback at the same time: the pilot report counts all of both.

#include <gtest/gtest.h>

#include <atomic>
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

// A shadow answer is logged after the champion's, and its item's feedback may arrive in between
// or while it is being written (another replica, a fast export). Every pair must end up
// labelled, and counted once: on PostgreSQL the items' advisory locks order the two writes.
TEST(Replicas, FeedbackRacingTheShadowLogLabelsEveryPairOnce) {
  TUNECASE_SKIP_WITHOUT_POSTGRES();
  std::string url = PostgresServer::get()->new_database();
  std::unique_ptr<Store> gateway = open_store(url), labels = open_store(url);
  constexpr int kBatches = 30, kPerBatch = 20, kItems = kBatches * kPerBatch;
  std::atomic<int> champion_batches{0};
  std::thread writer([&] {
    for (int b = 0; b < kBatches; ++b) {
      std::vector<PredictionRecord> champion, shadow;
      for (int i = 0; i < kPerBatch; ++i) {
        std::string id = "S" + std::to_string(b * kPerBatch + i);
        champion.push_back(prediction(id, "linear", Arm::champion, "a", kT0 + b * 1000 + i));
        shadow.push_back(
            prediction(id, "llm", Arm::shadow, i % 2 ? "a" : "b", kT0 + b * 1000 + i + 1));
      }
      gateway->log_predictions(champion);
      champion_batches = b + 1;
      gateway->log_predictions(shadow);
    }
  });
  std::thread labeller([&] {
    for (int b = 0; b < kBatches; ++b) {
      while (champion_batches.load() <= b) std::this_thread::yield();
      for (int i = 0; i < kPerBatch; ++i)
        labels->record_feedback(feedback("S" + std::to_string(b * kPerBatch + i), "a"));
    }
  });
  writer.join();
  labeller.join();

  PilotQuery q;
  q.paired = {{"linear", "llm"}};
  for (Store* store : {gateway.get(), labels.get()}) {
    auto c = store->pilot_counts(q);
    ASSERT_EQ(c.arms.size(), 2u);
    for (const ArmFigures& arm : c.arms) {
      EXPECT_EQ(arm.requests, kItems) << arm.approach;
      EXPECT_EQ(arm.labelled, kItems) << arm.approach;
      EXPECT_EQ(arm.correct, arm.arm == Arm::shadow ? kItems / 2 : kItems) << arm.approach;
    }
    ASSERT_TRUE(c.paired);
    EXPECT_EQ(c.paired->both_right, kItems / 2);
    EXPECT_EQ(c.paired->only_first, kItems / 2);
    EXPECT_EQ(c.paired->only_second + c.paired->both_wrong, 0);
  }
}

}  // namespace
}  // namespace tunecase::testing
