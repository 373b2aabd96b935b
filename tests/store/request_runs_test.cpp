// SQLite's request runs (request_runs.h) with small runs, so that a few hundred predictions
// build level-0 runs, merge them across levels and delete what was merged: every feedback by
// request id must still find every prediction of its item, before, during and after a merge,
// and after a reopen that finishes what a killed process left.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "store_backends.h"
#include "store_fixture.h"
#include "tunecase/store/request_runs.h"
#include "tunecase/store/schema.h"
#include "tunecase/store/sqlite_store.h"

namespace tunecase::testing {
namespace {

using store_detail::RunShape;

// Blocks of 5 entries: a run spans several, and an id logged more than once can span two.
constexpr RunShape kSmall{16, 4, 5};

// The entries stored in every run's blocks (16 bytes each).
constexpr const char* kStoredEntries =
    "SELECT coalesce(sum(length(CAST(entries AS BLOB))), 0) / 16 FROM request_run_blocks";

// One integer from the store file, read with the SQLite API beside the store.
int64_t scalar(const std::string& file, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  int64_t out = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW)
    out = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

class RequestRuns : public ::testing::Test {
 protected:
  void SetUp() override { file_ = SqliteBackend::new_location(); }
  static void TearDownTestSuite() { SqliteBackend::cleanup(); }

  std::unique_ptr<Store> open() { return store_detail::open_sqlite_store(file_, kSmall); }

  // Logs `n` predictions in batches of 10 (a commit and a step each); every seventh id is
  // logged a second time in a later batch, as a shadow arm or a retry would be.
  void log(Store& store, int n) {
    std::vector<PredictionRecord> batch;
    for (int i = 0; i < n; ++i) {
      std::string id = fmt::format("ticket-{:08x}", static_cast<uint32_t>(rng_()));
      batch.push_back(prediction(id, "linear", Arm::champion, "billing", kT0 + i));
      ++expected_[id];
      if (i % 7 == 0) repeat_.push_back(id);
      if (batch.size() == 10) {
        if (!repeat_.empty() && i % 3 == 0) {
          batch.push_back(prediction(repeat_.back(), "linear", Arm::champion, "billing", kT0 + i));
          ++expected_[repeat_.back()];
          repeat_.pop_back();
        }
        store.log_predictions(batch);
        batch.clear();
        after_commit(store);
      }
    }
    if (!batch.empty()) store.log_predictions(batch);
  }

  // Feedback by request id reaches every prediction logged under it (the second label of an
  // id replaces the first, so each call changes something and is counted).
  void expect_every_id_found(Store& store, const std::string& label) {
    for (const auto& [id, count] : expected_) {
      FeedbackResult r = store.record_feedback(feedback(id, label));
      ASSERT_EQ(r.predictions, count) << id;
    }
    EXPECT_EQ(store.record_feedback(feedback("nobody", label)).outcome,
              FeedbackOutcome::unknown_id);
  }

  int64_t count(const std::string& sql) { return scalar(file_, sql); }

  std::function<void(Store&)> after_commit = [](Store&) {};
  std::string file_;
  std::mt19937_64 rng_{11};
  std::map<std::string, int64_t> expected_;
  std::vector<std::string> repeat_;
};

TEST_F(RequestRuns, EveryPredictionIsFoundThroughRunsOfSeveralLevelsAndTheTail) {
  auto store = open();
  EXPECT_EQ(count("SELECT count(*) FROM sqlite_master WHERE name = 'predictions_request'"), 0)
      << "the random-page index is gone";
  log(*store, 700);
  // 16 per level-0 run, 4 runs a level: 700 predictions reach level 2 (256 each).
  EXPECT_GE(count("SELECT max(level) FROM request_run_meta WHERE state = 'live'"), 2);
  EXPECT_LT(count("SELECT count(*) FROM predictions WHERE rowid > (SELECT CAST(value AS INTEGER) "
                  "FROM meta WHERE key = 'request_runs_upto')"),
            kSmall.base + 11)
      << "the tail is at most one run and one batch";
  expect_every_id_found(*store, "refund");
  expect_every_id_found(*store, "login");
  // Merged runs are deleted, a step at a time: entries = predictions once the work is done.
  store.reset();
  store = open();
  EXPECT_EQ(count("SELECT count(*) FROM request_run_meta WHERE state <> 'live'"), 0);
  EXPECT_EQ(count(kStoredEntries),
            count("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'request_runs_upto'"));
  EXPECT_EQ(count("SELECT max(n) FROM (SELECT count(*) AS n FROM request_run_meta GROUP BY "
                  "level)"),
            kSmall.fanout - 1)
      << "no level is left full";
}

TEST_F(RequestRuns, AMergeInProgressHidesNothingAndAReopenFinishesIt) {
  bool stopped = false;
  auto store = open();
  after_commit = [&](Store&) {
    if (!stopped && count("SELECT count(*) FROM request_run_meta WHERE state = 'building'") > 0 &&
        count("SELECT count(*) FROM request_run_merge WHERE done = 1") > 0)
      stopped = true;  // a merge half copied: the sources still answer
  };
  // A commit of 10 carries up to 11 steps of 16 entries, so only a level-2 merge (4 runs of 64
  // entries) spans commits: 700 predictions reach one.
  log(*store, 700);
  ASSERT_TRUE(stopped);
  // Stop logging mid-merge, as a killed process would (each step is its own commit).
  for (int tries = 0; tries < 40; ++tries) {
    if (count("SELECT count(*) FROM request_run_meta WHERE state = 'building'") > 0) break;
    log(*store, 10);
  }
  ASSERT_GT(count("SELECT count(*) FROM request_run_meta WHERE state = 'building'"), 0);
  expect_every_id_found(*store, "refund");
  store.reset();
  store = open();  // finishes the merge and deletes its sources
  EXPECT_EQ(count("SELECT count(*) FROM request_run_meta WHERE state <> 'live'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM request_run_merge"), 0);
  expect_every_id_found(*store, "login");
}

TEST_F(RequestRuns, AVersionSevenStoreSortsItsPredictionsIntoRunsWhenOpened) {
  {
    auto store = open();
    log(*store, 100);
  }
  SqliteBackend::undo_version_10(file_);
  SqliteBackend::undo_versions_8_and_9(file_);
  SqliteBackend::exec_raw(file_, "UPDATE schema_version SET version = 7");
  auto store = open();
  EXPECT_EQ(store->schema_version(), store_detail::kSchemaVersion);
  EXPECT_EQ(count("SELECT count(*) FROM sqlite_master WHERE name = 'predictions_request'"), 0);
  EXPECT_GE(count(kStoredEntries), 96);  // all but the tail
  expect_every_id_found(*store, "refund");
}

// Version 9 stores runs as blocks; a version-8 store's runs (a row per entry) are dropped and
// its predictions sorted into blocks when it is opened.
TEST_F(RequestRuns, AVersionEightStoreRebuildsItsRunsAsBlocks) {
  {
    auto store = open();
    log(*store, 300);
  }
  SqliteBackend::undo_version_10(file_);
  for (const char* sql :
       {"DROP TABLE request_run_blocks", "DROP TABLE request_run_merge",
        "CREATE TABLE request_runs (run INTEGER NOT NULL, key INTEGER NOT NULL, "
        "prediction_rowid INTEGER NOT NULL, PRIMARY KEY (run, key, prediction_rowid)) "
        "WITHOUT ROWID",
        "CREATE TABLE request_run_merge (target INTEGER NOT NULL, source INTEGER NOT NULL, "
        "next_key INTEGER NOT NULL, next_rowid INTEGER NOT NULL, done INTEGER NOT NULL, "
        "PRIMARY KEY (target, source))",
        "UPDATE schema_version SET version = 8"})
    SqliteBackend::exec_raw(file_, sql);
  auto store = open();
  EXPECT_EQ(store->schema_version(), store_detail::kSchemaVersion);
  EXPECT_EQ(count("SELECT count(*) FROM sqlite_master WHERE name = 'request_runs'"), 0);
  EXPECT_GE(count(kStoredEntries), 300 - kSmall.base);
  expect_every_id_found(*store, "refund");
}

// One id logged many times (a client that reuses its ids) has entries in many blocks of one
// run, and in several runs: every one of them is found.
TEST_F(RequestRuns, AnIdLoggedManyTimesIsFoundInEveryBlockItSpans) {
  auto store = open();
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 200; ++i) {
    std::string id = i % 3 == 0 ? "reused" : fmt::format("other-{}", i);
    batch.push_back(prediction(id, "linear", Arm::champion, "billing", kT0 + i));
    ++expected_[id];
    if (batch.size() == 8) store->log_predictions(batch), batch.clear();
  }
  if (!batch.empty()) store->log_predictions(batch);
  EXPECT_GE(count("SELECT max(level) FROM request_run_meta WHERE state = 'live'"), 1);
  EXPECT_GT(count("SELECT count(*) FROM request_run_blocks b JOIN request_run_meta m "
                  "ON m.run = b.run AND m.state = 'live'"),
            count("SELECT count(*) FROM request_run_meta WHERE state = 'live'"))
      << "runs span several blocks";
  expect_every_id_found(*store, "refund");
  EXPECT_EQ(store->record_feedback(feedback("reused", "login")).predictions, expected_["reused"]);
}

TEST(RequestKey, IsFnv1aOfTheIdAsASignedInteger) {
  EXPECT_EQ(store_detail::request_key(""), static_cast<int64_t>(14695981039346656037ULL));
  EXPECT_NE(store_detail::request_key("T-1"), store_detail::request_key("T-2"));
}

}  // namespace
}  // namespace tunecase::testing
