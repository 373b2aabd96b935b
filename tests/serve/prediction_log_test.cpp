// The prediction log: bounded, group-committed, and honest about what a killed run lost.

#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>

#include "thread_nice.h"
#include "tunecase/serve/prediction_log.h"

namespace tunecase::serve {
namespace {

using tunecase::testing::thread_nice_values;

std::string store_path() {
  static int next = 0;
  auto dir =
      std::filesystem::temp_directory_path() / ("tunecase-serve-log-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / ("log" + std::to_string(next++) + ".db");
  std::filesystem::remove(file);
  return file.string();
}

PredictionRecord record(int i) {
  PredictionRecord r;
  r.prediction_id = make_prediction_id();
  r.request_id = "r" + std::to_string(i);
  r.approach = "a";
  r.label = "x";
  r.created_at_ms = 1700000000000 + i;
  return r;
}

TEST(PredictionLog, RefusesBeyondItsCapacityInsteadOfGrowing) {
  auto store = open_store(store_path());
  PredictionLogOptions o;
  o.capacity = 3;
  o.window = std::chrono::milliseconds(1000);
  PredictionLog log(*store, o);
  EXPECT_TRUE(log.reserve(2));
  EXPECT_TRUE(log.reserve(1));
  EXPECT_FALSE(log.reserve(1));
  log.release(1);
  EXPECT_TRUE(log.reserve(1));
  EXPECT_EQ(log.stats().refused, 1);
}

TEST(PredictionLog, FlushCommitsEverythingAppendedInBatches) {
  auto store = open_store(store_path());
  PredictionLogOptions o;
  o.batch_size = 10;
  PredictionLog log(*store, o);
  std::vector<std::string> ids;
  for (int i = 0; i < 95; ++i) {
    ASSERT_TRUE(log.reserve());
    PredictionRecord r = record(i);
    ids.push_back(r.prediction_id);
    log.append(r);
  }
  log.flush();
  for (const auto& id : ids) EXPECT_TRUE(store->find_prediction(id)) << id;
  EXPECT_EQ(log.stats().committed, 95);
  EXPECT_GE(log.stats().batches, 10);
}

TEST(PredictionLog, AStopIsCleanAndAnUnflushedRunIsReportedAtTheNextStart) {
  std::string path = store_path();
  auto store = open_store(path);
  {
    PredictionLog log(*store, {});
    log.reserve();
    log.append(record(1));
  }  // stop(): flushed
  PredictionLog again(*store, {});
  EXPECT_TRUE(again.previous_run().clean);
  again.stop();
  // What a killed run leaves: its last progress record says running, with a backlog.
  store->set_meta("serve.log.default", R"({"clean":false,"acknowledged":12,"committed":9})");
  PredictionLog after_kill(*store, {});
  EXPECT_FALSE(after_kill.previous_run().clean);
  EXPECT_EQ(after_kill.previous_run().lost_at_least(), 3);
}

TEST(PredictionLog, TheBackgroundWriterCommitsAtALowerPriority) {
  auto store = open_store(store_path());
  const int process_nice = getpriority(PRIO_PROCESS, 0);
  PredictionLogOptions o;
  o.window = std::chrono::milliseconds(5);
  o.starved_after = std::chrono::hours(1);  // never hands over here
  {
    PredictionLog log(*store, o);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(log.reserve());
      log.append(record(i));
      log.flush();
    }
    EXPECT_EQ(log.stats().batches, 3);
    EXPECT_EQ(log.stats().urgent_batches, 0);
    EXPECT_EQ(log.stats().handovers, 0);
    std::vector<int> nice = thread_nice_values();
    int expected = std::min(19, process_nice + o.background_nice);
    EXPECT_EQ(std::count(nice.begin(), nice.end(), expected), 1) << "the background writer";
  }
  std::vector<int> nice = thread_nice_values();
  EXPECT_EQ(std::count(nice.begin(), nice.end(), process_nice), static_cast<long>(nice.size()))
      << "no thread is left at the lower priority after stop";
}

TEST(PredictionLog, AStarvedBackgroundWriterHandsTheCommitsOverForAWhile) {
  auto store = open_store(store_path());
  PredictionLogOptions o;
  o.window = std::chrono::milliseconds(5);
  o.starved_after = std::chrono::microseconds(0);  // every background commit counts as starved
  o.urgent_for = std::chrono::milliseconds(1000);  // far longer than three commits
  PredictionLog log(*store, o);
  auto commit_one = [&](int i) {
    ASSERT_TRUE(log.reserve());
    log.append(record(i));
    log.flush();
  };
  commit_one(0);  // the background writer's, which hands over
  EXPECT_EQ(log.stats().handovers, 1);
  EXPECT_EQ(log.stats().urgent_batches, 0);
  commit_one(1);
  commit_one(2);
  EXPECT_EQ(log.stats().urgent_batches, 2) << "the urgent writer commits while it has them";
  EXPECT_EQ(log.stats().handovers, 1);
  // Each urgent commit here "waited" (the threshold is 0): the machine counts as still busy, so
  // every one of them keeps the commits for another urgent_for.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  commit_one(10);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  commit_one(11);  // 1.2 s after the handover, 0.6 s after the last urgent commit
  EXPECT_EQ(log.stats().urgent_batches, 4);
  std::this_thread::sleep_for(o.urgent_for + std::chrono::milliseconds(100));
  commit_one(3);  // handed back: the background writer's again (and starved again)
  EXPECT_EQ(log.stats().urgent_batches, 4);
  EXPECT_EQ(log.stats().handovers, 2);
  EXPECT_EQ(log.stats().committed, 6);
}

}  // namespace
}  // namespace tunecase::serve
