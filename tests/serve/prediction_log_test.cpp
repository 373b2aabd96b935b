// The prediction log: bounded, group-committed, and honest about what a killed run lost.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tunecase/serve/prediction_log.h"

namespace tunecase::serve {
namespace {

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

}  // namespace
}  // namespace tunecase::serve
