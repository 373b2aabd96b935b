// Background work in slices (core/work_pacing.h): a paced thread pauses once each slice has run,
// shared code pauses only on a paced thread, and the store's SQLite work pauses inside SQLite too.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "gateway_fixture.h"
#include "tunecase/core/work_pacing.h"
#include "tunecase/store/store.h"

namespace tunecase {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Calls pace_point() for `busy` of wall-clock time.
void work_for(steady_clock::duration busy) {
  const auto until = steady_clock::now() + busy;
  while (steady_clock::now() < until) pace_point();
}

TEST(WorkPacer, PausesOnceEachSliceHasRun) {
  WorkPacer pacer(milliseconds(2), milliseconds(1));
  ThreadPacerScope scope(&pacer);
  const auto start = steady_clock::now();
  while (pacer.pauses() < 5) pace_point();
  // Each pause came after a slice of at least 2 ms and lasted at least 1 ms.
  EXPECT_GE(steady_clock::now() - start, 5 * (milliseconds(2) + milliseconds(1)));
}

TEST(WorkPacer, ARestartBeginsAFreshSlice) {
  WorkPacer pacer(milliseconds(50), milliseconds(1));
  std::this_thread::sleep_for(milliseconds(60));  // the first slice has run out, idle
  pacer.restart();
  pacer.point();
  EXPECT_EQ(pacer.pauses(), 0) << "a restart after a wait does not pause at once";
}

TEST(WorkPacer, OnlyThePacedThreadPausesAndTheScopeEnds) {
  WorkPacer pacer(microseconds(1), milliseconds(1));
  {
    ThreadPacerScope scope(&pacer);
    EXPECT_EQ(thread_pacer(), &pacer);
    std::thread other([] {
      EXPECT_EQ(thread_pacer(), nullptr);
      work_for(milliseconds(5));  // no pacer here: no pause, nothing counted
    });
    other.join();
    EXPECT_EQ(pacer.pauses(), 0);
    work_for(milliseconds(3));
    EXPECT_GT(pacer.pauses(), 0);
  }
  EXPECT_EQ(thread_pacer(), nullptr);
}

// While someone waits for the work (the log's urgent writer for a background commit), it runs
// without pauses.
TEST(WorkPacer, NothingPausesWhileHurried) {
  std::atomic<bool> hurry{true};
  WorkPacer pacer(microseconds(1), milliseconds(1), [&] { return hurry.load(); });
  ThreadPacerScope scope(&pacer);
  work_for(milliseconds(3));
  EXPECT_EQ(pacer.pauses(), 0);
  hurry = false;
  work_for(milliseconds(3));
  EXPECT_GT(pacer.pauses(), 0);
}

// A paced thread's SQLite transaction pauses inside SQLite's own work (its progress handler):
// append_audit has no pause point of its own.
TEST(WorkPacer, TheStoresSqliteWorkPausesOnAPacedThread) {
  auto dir = serve::testing::temp_folder("pacing");
  auto store = open_store((dir / "paced.db").string());
  std::vector<AuditRecord> rows;
  for (int i = 0; i < 2000; ++i)
    rows.push_back({"r1", "http://127.0.0.1:9/v1/chat/completions", true, 1700000000000 + i,
                    std::string(64, 'a'), 100, "{}"});
  WorkPacer pacer(microseconds(1), microseconds(1));
  {
    ThreadPacerScope scope(&pacer);
    store->append_audit(rows);
  }
  EXPECT_GT(pacer.pauses(), 10);
  EXPECT_EQ(store->audit_records(0, INT64_MAX).size(), rows.size()) << "all of it written";
  const int64_t after = pacer.pauses();
  store->append_audit(rows);  // this thread is no longer paced
  EXPECT_EQ(pacer.pauses(), after);
  store.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tunecase
