// The prediction log: bounded, group-committed, and honest about what a killed run lost.

#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "failing_store.h"
#include "thread_nice.h"
#include "tunecase/serve/prediction_log.h"

namespace tunecase::serve {
namespace {

using tunecase::testing::thread_nice_values;
using tunecase::testing::thread_policies;

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

// Appends record(i) and waits for it to be committed.
void commit_one(PredictionLog& log, int i) {
  ASSERT_TRUE(log.reserve());
  log.append(record(i));
  log.flush();
}

// Waits up to 10 s for `done`.
template <typename Done>
bool eventually(Done done) {
  for (int i = 0; i < 1000 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
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

// The event loops append without the writers' lock: many threads at once, with windows that
// expire meanwhile and batches smaller than what waits, lose nothing and commit nothing twice.
TEST(PredictionLog, ConcurrentAppendsAreAllCommittedOnce) {
  auto store = open_store(store_path());
  PredictionLogOptions o;
  o.batch_size = 64;
  o.background_batch = 16;
  o.window = std::chrono::milliseconds(2);
  PredictionLog log(*store, o);
  constexpr int kThreads = 4, kEach = 500;
  std::vector<std::thread> loops;
  std::vector<std::vector<std::string>> ids(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    loops.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        while (!log.reserve()) std::this_thread::yield();
        PredictionRecord r = record(t * kEach + i);
        ids[t].push_back(r.prediction_id);
        log.append(std::move(r));
        if (i % 97 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  for (auto& t : loops) t.join();
  log.flush();
  auto s = log.stats();
  EXPECT_EQ(s.appended, kThreads * kEach);
  EXPECT_EQ(s.committed, kThreads * kEach);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(s.dropped, 0);
  for (const auto& list : ids)
    for (const auto& id : list) EXPECT_TRUE(store->find_prediction(id)) << id;
}

// A record appended after a quiet spell is committed within about a window, without a flush:
// the push that finds the inbox empty wakes the writer.
TEST(PredictionLog, ALoneRecordIsCommittedWithinAWindow) {
  auto store = open_store(store_path());
  PredictionLogOptions o;
  o.window = std::chrono::milliseconds(20);
  PredictionLog log(*store, o);
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(log.reserve());
    PredictionRecord r = record(round);
    std::string id = r.prediction_id;
    log.append(std::move(r));
    EXPECT_TRUE(eventually([&] { return store->find_prediction(id).has_value(); }))
        << "round " << round;
  }
  log.flush();  // the counts follow each commit a moment after the store has it
  EXPECT_EQ(log.stats().committed, 3);
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
  auto note =
      unflushed_run_note(after_kill.previous_run(), "default", std::chrono::milliseconds(50));
  ASSERT_TRUE(note);
  EXPECT_NE(note->find("3 acknowledged predictions were not committed"), std::string::npos)
      << *note;
  EXPECT_NE(note->find("how many is not known"), std::string::npos) << *note;
  EXPECT_FALSE(unflushed_run_note(again.previous_run(), "default", std::chrono::milliseconds(50)));
}

// A killed run's record carries the size of its last commit and its time: the next start gives
// them as the estimate of what was acknowledged after it.
TEST(PredictionLog, TheUnflushedNoteEstimatesTheLastWindowFromTheLastCommit) {
  std::string path = store_path();
  auto store = open_store(path);
  {
    PredictionLogOptions o;
    o.window = std::chrono::milliseconds(5);
    PredictionLog log(*store, o);
    for (int i = 0; i < 7; ++i) {
      ASSERT_TRUE(log.reserve());
      log.append(record(i));
    }
    log.flush();
    // What a kill -9 leaves: the last commit's record, never marked clean.
    std::optional<std::string> running = store->meta("serve.log.default");
    ASSERT_TRUE(running);
    log.stop();
    store->set_meta("serve.log.default", *running);
  }
  PredictionLog after_kill(*store, {});
  const PreviousRun& run = after_kill.previous_run();
  EXPECT_FALSE(run.clean);
  EXPECT_GT(run.last_batch, 0);
  EXPECT_LE(run.last_batch, 7);
  EXPECT_GT(run.at_ms, 1'700'000'000'000);
  auto note = unflushed_run_note(run, "edge-1", std::chrono::milliseconds(50));
  ASSERT_TRUE(note);
  EXPECT_NE(note->find("instance 'edge-1'"), std::string::npos) << *note;
  EXPECT_NE(note->find(fmt::format("about {} (estimated", run.last_batch)), std::string::npos)
      << *note;
  EXPECT_NE(note->find(" UTC)"), std::string::npos) << *note;
}

// A gateway killed and started again on another port is another instance: the killed one's
// record is reported by the next start on this host, once, when its process is gone.
TEST(PredictionLog, AnotherInstanceKilledOnThisHostIsReportedOnce) {
  auto store = open_store(store_path());
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  auto record = [&](int64_t pid, const std::string& on) {
    return nlohmann::json{{"clean", false}, {"acknowledged", 12},         {"committed", 9},
                          {"batch", 5},     {"at_ms", 1'700'000'000'000}, {"pid", pid},
                          {"host", on}}
        .dump();
  };
  store->set_meta("serve.log.h:8080", record(gone, host));
  store->set_meta("serve.log.h:8081", record(getpid(), host));           // still running
  store->set_meta("serve.log.elsewhere", record(gone, "another-host"));  // not ours to judge
  {
    PredictionLog log(*store, {});
    const auto& others = log.other_unflushed_runs();
    ASSERT_EQ(others.size(), 1u);
    EXPECT_EQ(others[0].instance, "h:8080");
    EXPECT_EQ(others[0].pid, gone);
    EXPECT_EQ(others[0].run.lost_at_least(), 3);
    EXPECT_EQ(others[0].run.last_batch, 5);
  }
  PredictionLog again(*store, {});
  EXPECT_TRUE(again.other_unflushed_runs().empty()) << "said once";
  // ...but its loss stays on record for the 404 of a feedback for one of its predictions.
  ASSERT_EQ(again.lost_windows().size(), 1u);
  EXPECT_EQ(again.lost_windows()[0].instance, "h:8080");
  EXPECT_EQ(again.lost_windows()[0].at_ms, 1'700'000'000'000);
  EXPECT_EQ(again.lost_windows()[0].estimate, 3 + 5);
  // The killed instance starting again reads its record as reported: its own start does not say
  // the loss a second time.
  PredictionLogOptions as_killed;
  as_killed.instance = "h:8080";
  PredictionLog restarted(*store, as_killed);
  EXPECT_FALSE(restarted.previous_run().clean);
  EXPECT_TRUE(restarted.previous_run().reported);
  // A log that was running when another start recorded a lost run reads it a second later (a
  // replica that stayed up had named none in its 404s).
  store->set_meta("serve.lost.h:9090.1700000100000",
                  nlohmann::json{{"instance", "h:9090"}, {"at_ms", 1'700'000'100'000}}.dump());
  EXPECT_EQ(again.lost_windows().size(), 1u) << "read again at most once a second";
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  ASSERT_EQ(again.lost_windows().size(), 2u);
  EXPECT_EQ(again.lost_windows()[0].instance, "h:9090");  // newest first
}

// Each commit stores the audit rows taken for it and this instance's progress, counting the
// commit's own records, in its transaction: a kill -9 right after it finds both up to date.
TEST(PredictionLog, EachCommitCarriesItsAuditRowsAndItsProgress) {
  auto store = open_store(store_path());
  PredictionLogOptions o;
  o.window = std::chrono::milliseconds(5);
  std::atomic<int> taken{0};
  o.take_audit = [&] {
    int n = ++taken;
    return std::vector<AuditRecord>{{"default", "http://127.0.0.1:9/v1/chat/completions", true,
                                     1700000000000 + n, std::string(64, 'a'), 100, "{}"}};
  };
  PredictionLog log(*store, o);
  commit_one(log, 0);
  commit_one(log, 1);
  auto progress = nlohmann::json::parse(store->meta("serve.log.default").value());
  EXPECT_EQ(progress.at("committed"), 2);
  EXPECT_EQ(progress.at("acknowledged"), 2);
  EXPECT_EQ(progress.at("clean"), false);
  EXPECT_EQ(static_cast<int>(store->audit_records(0, INT64_MAX).size()), taken.load());
  EXPECT_EQ(taken.load(), log.stats().batches);
  log.stop();
  EXPECT_TRUE(nlohmann::json::parse(store->meta("serve.log.default").value()).at("clean"));
}

// A throwing audit hook costs the commit its audit rows, never its predictions.
TEST(PredictionLog, AThrowingAuditHookDoesNotStopTheCommits) {
  auto store = open_store(store_path());
  PredictionLogOptions o;
  o.window = std::chrono::milliseconds(5);
  o.take_audit = []() -> std::vector<AuditRecord> { throw std::runtime_error("no audit"); };
  PredictionLog log(*store, o);
  commit_one(log, 0);
  log.stop();
  EXPECT_EQ(log.stats().committed, 1);
  EXPECT_TRUE(store->audit_records(0, INT64_MAX).empty());
}

// The background writer's work runs in slices with pauses between them; without a slice it
// never pauses. Either way everything is committed.
TEST(PredictionLog, TheBackgroundWriterPausesBetweenSlicesOfItsWork) {
  for (int slice_us : {0, 1}) {
    auto store = open_store(store_path());
    PredictionLogOptions o;
    o.window = std::chrono::milliseconds(5);
    o.background_idle = false;  // at the process's priority, so that it commits on a busy machine
    o.background_nice = 0;
    o.stalled_after = std::chrono::hours(1);  // the background writer commits everything
    o.pace_slice = std::chrono::microseconds(slice_us);
    o.pace_pause = std::chrono::microseconds(1);
    PredictionLog log(*store, o);
    ASSERT_TRUE(log.reserve(200));
    for (int i = 0; i < 200; ++i) log.append(record(i));
    log.flush();
    EXPECT_EQ(log.stats().committed, 200);
    EXPECT_EQ(log.stats().urgent_batches, 0);
    if (slice_us == 0) {
      EXPECT_EQ(log.stats().pauses, 0);
    } else {
      EXPECT_GT(log.stats().pauses, 10);
    }
  }
}

constexpr int kSchedIdle = 5;  // SCHED_IDLE in /proc/PID/task/TID/stat

TEST(PredictionLog, TheBackgroundWriterCommitsInTheIdleSchedulingClass) {
  auto store = open_store(store_path());
  PredictionLogOptions o;
  o.window = std::chrono::milliseconds(5);
  {
    PredictionLog log(*store, o);
    for (int i = 0; i < 3; ++i) {
      commit_one(log, i);
    }
    EXPECT_EQ(log.stats().committed, 3);
    ASSERT_TRUE(eventually([&] { return log.stats().background_idle; }))
        << "Linux lets any thread move to SCHED_IDLE";
    std::vector<int> policies = thread_policies();
    EXPECT_EQ(std::count(policies.begin(), policies.end(), kSchedIdle), 1)
        << "the background writer";
  }
  std::vector<int> policies = thread_policies();
  EXPECT_EQ(std::count(policies.begin(), policies.end(), kSchedIdle), 0)
      << "no thread is left in the idle class after stop";
}

TEST(PredictionLog, WithoutTheIdleClassTheBackgroundWriterCommitsAtALowerPriority) {
  auto store = open_store(store_path());
  const int process_nice = getpriority(PRIO_PROCESS, 0);
  PredictionLogOptions o;
  o.background_idle = false;
  o.window = std::chrono::milliseconds(5);
  o.starved_after = std::chrono::hours(1);  // never hands over here
  o.stalled_after = std::chrono::hours(1);
  {
    PredictionLog log(*store, o);
    for (int i = 0; i < 3; ++i) {
      commit_one(log, i);
    }
    EXPECT_EQ(log.stats().batches, 3);
    EXPECT_EQ(log.stats().urgent_batches, 0);
    EXPECT_EQ(log.stats().handovers, 0);
    EXPECT_FALSE(log.stats().background_idle);
    std::vector<int> nice = thread_nice_values();
    int expected = std::min(19, process_nice + o.background_nice);
    EXPECT_EQ(std::count(nice.begin(), nice.end(), expected), 1) << "the background writer";
  }
  std::vector<int> nice = thread_nice_values();
  EXPECT_EQ(std::count(nice.begin(), nice.end(), process_nice), static_cast<long>(nice.size()))
      << "no thread is left at the lower priority after stop";
}

// A background writer at a nice value judges its own commits: one that waited for a core hands
// over. (An idle-class writer waits whenever anything else runs; the stall watch below covers it.)
TEST(PredictionLog, AStarvedBackgroundWriterHandsTheCommitsOverForAWhile) {
  auto store = open_store(store_path());
  PredictionLogOptions o;
  o.background_idle = false;
  o.window = std::chrono::milliseconds(5);
  o.starved_after = std::chrono::microseconds(0);  // every background commit counts as starved
  o.urgent_for = std::chrono::milliseconds(1000);  // far longer than three commits
  PredictionLog log(*store, o);
  commit_one(log, 0);  // the background writer's, which hands over
  EXPECT_EQ(log.stats().handovers, 1);
  EXPECT_EQ(log.stats().urgent_batches, 0);
  commit_one(log, 1);
  commit_one(log, 2);
  EXPECT_EQ(log.stats().urgent_batches, 2) << "the urgent writer commits while it has them";
  EXPECT_EQ(log.stats().handovers, 1);
  // Each urgent commit here "waited" (the threshold is 0): the machine counts as still busy, so
  // every one of them keeps the commits for another urgent_for.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  commit_one(log, 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  commit_one(log, 11);  // 1.2 s after the handover, 0.6 s after the last urgent commit
  EXPECT_EQ(log.stats().urgent_batches, 4);
  std::this_thread::sleep_for(o.urgent_for + std::chrono::milliseconds(100));
  commit_one(log, 3);  // handed back: the background writer's again (and starved again)
  EXPECT_EQ(log.stats().urgent_batches, 4);
  EXPECT_EQ(log.stats().handovers, 2);
  EXPECT_EQ(log.stats().committed, 6);
}

// A log whose first commit's writer is stuck after it (as a starved one would be in the middle),
// until release(); the background writer at the process's priority, so that it makes that first
// commit well within the stall limit even on a busy test machine.
class StuckAfterTheFirstCommit {
 public:
  explicit StuckAfterTheFirstCommit(std::chrono::milliseconds stalled_after)
      : store_(open_store(store_path())) {
    PredictionLogOptions o;
    o.background_idle = false;
    o.background_nice = 0;
    o.window = std::chrono::milliseconds(5);
    o.stalled_after = stalled_after;
    o.urgent_for = std::chrono::hours(1);  // the urgent writer keeps them for the rest of a test
    o.after_commit = [this](Store&) {
      std::unique_lock lock(mutex_);
      if (++calls_ == 1) released_.wait(lock, [&] { return release_; });
    };
    log_.emplace(*store_, o);
  }
  ~StuckAfterTheFirstCommit() { release(); }

  // Appends one record and waits for the background writer's commit of it.
  bool commit_the_first() {
    if (!log_->reserve()) return false;
    log_->append(record(0));
    return eventually([&] { return log_->stats().committed == 1; });
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      release_ = true;
    }
    released_.notify_all();
  }
  int calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  Store& store() { return *store_; }
  PredictionLog& log() { return *log_; }

 private:
  std::unique_ptr<Store> store_;
  std::mutex mutex_;
  std::condition_variable released_;
  bool release_ = false;
  int calls_ = 0;
  std::optional<PredictionLog> log_;  // last: stopped before what its hook uses goes
};

// The urgent writer watches the age of the oldest queued record: a background writer that gets
// no core, or is stuck in a commit, does not hold the log up for longer than stalled_after.
TEST(PredictionLog, AStalledBackgroundWriterIsTakenOverByTheUrgentOne) {
  StuckAfterTheFirstCommit stuck(std::chrono::milliseconds(300));
  PredictionLog& log = stuck.log();
  ASSERT_TRUE(stuck.commit_the_first());
  EXPECT_EQ(log.stats().urgent_batches, 0) << "the background writer's";
  ASSERT_TRUE(log.reserve());
  PredictionRecord second = record(1);
  log.append(second);
  ASSERT_TRUE(eventually([&] { return log.stats().committed == 2; }))
      << "the urgent writer commits what the stuck one left";
  EXPECT_TRUE(stuck.store().find_prediction(second.prediction_id));
  EXPECT_EQ(log.stats().urgent_batches, 1);
  EXPECT_EQ(log.stats().handovers, 1);
  stuck.release();
  log.stop();
  EXPECT_EQ(stuck.calls(), 2) << "each commit ran the hook once";
}

// Someone waiting in flush() (a feedback for a queued prediction) waits a fifth of stalled_after
// for a background writer that does not come, not all of it.
TEST(PredictionLog, AFlushDoesNotWaitTheWholeStallForABackgroundWriter) {
  StuckAfterTheFirstCommit stuck(std::chrono::milliseconds(2500));  // a flush waits 500 ms of it
  PredictionLog& log = stuck.log();
  ASSERT_TRUE(stuck.commit_the_first());
  ASSERT_TRUE(log.reserve());
  log.append(record(1));
  auto start = std::chrono::steady_clock::now();
  log.flush();
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(log.stats().committed, 2);
  EXPECT_EQ(log.stats().urgent_batches, 1);
  EXPECT_LT(waited, std::chrono::milliseconds(2000)) << "the flush waited for the whole stall";
}

TEST(PredictionLog, ItsAfterCommitHookSeesEachCommitInTheStore) {
  auto store = open_store(store_path());
  PredictionLogOptions o;
  o.window = std::chrono::milliseconds(5);
  std::atomic<int> calls{0};
  std::atomic<int64_t> seen{0};
  o.after_commit = [&](Store& s) {
    ++calls;
    int64_t n = 0;
    for (const auto& c : s.predicted_labels(0, INT64_MAX)) n += c.count;
    // The most any call saw: an earlier commit's hook, on a writer that lost its core, may end
    // after a later one's (the hooks run outside the log's locks, each after its own commit).
    int64_t before = seen.load();
    while (n > before && !seen.compare_exchange_weak(before, n)) {
    }
  };
  PredictionLog log(*store, o);
  for (int i = 0; i < 3; ++i) {
    commit_one(log, i);
  }
  log.stop();
  EXPECT_EQ(calls.load(), log.stats().batches);
  EXPECT_EQ(seen.load(), 3) << "the last commit's call saw every record committed";
}

// A hook that throws is reported and the log goes on.
TEST(PredictionLog, AThrowingAfterCommitHookDoesNotStopTheLog) {
  auto store = open_store(store_path());
  PredictionLogOptions o;
  o.window = std::chrono::milliseconds(5);
  o.after_commit = [](Store&) { throw std::runtime_error("audit store unreachable"); };
  PredictionLog log(*store, o);
  for (int i = 0; i < 2; ++i) {
    commit_one(log, i);
  }
  log.stop();
  EXPECT_EQ(log.stats().committed, 2);
}

}  // namespace
}  // namespace tunecase::serve

namespace tunecase::serve {
namespace {

using testing::FailingStore;

PredictionLogOptions quick_retries() {
  PredictionLogOptions o;
  o.window = std::chrono::milliseconds(5);
  o.retry_first = std::chrono::milliseconds(10);
  o.retry_most = std::chrono::milliseconds(40);
  return o;
}

// A store that fails for a while (a PostgreSQL restart) loses nothing: the records wait in the
// queue, a flush says at once that they are not stored, and they are stored once it is back.
TEST(PredictionLog, RecordsWaitThroughAStoreOutageAndAreStoredOnceItIsBack) {
  FailingStore store(open_store(store_path()));
  PredictionLog log(store, quick_retries());
  store.down = true;
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(log.reserve());
    PredictionRecord r = record(i);
    ids.push_back(r.prediction_id);
    log.append(std::move(r));
  }
  ASSERT_TRUE(eventually([&] { return store.failed >= 3; })) << "the commit is tried again";
  EXPECT_TRUE(log.store_failing());
  EXPECT_FALSE(log.flush()) << "a flush does not wait out a failing store";
  EXPECT_TRUE(log.may_hold("r0") && log.may_hold("r29")) << "a failed commit keeps them queued";
  auto s = log.stats();
  EXPECT_EQ(s.queued, 30u);
  EXPECT_EQ(s.committed, 0);
  EXPECT_EQ(s.dropped, 0);
  EXPECT_GE(s.failed_commits, 3);
  EXPECT_NE(s.store_error.find("lost the connection"), std::string::npos);
  EXPECT_TRUE(log.health().store_failing);
  EXPECT_GT(log.health().failing_for_s, 0);

  store.down = false;
  ASSERT_TRUE(eventually([&] { return log.stats().committed == 30; }));
  EXPECT_TRUE(log.flush());
  EXPECT_FALSE(log.store_failing());
  EXPECT_EQ(log.stats().dropped, 0);
  EXPECT_TRUE(log.stats().store_error.empty());
  for (const auto& id : ids) EXPECT_TRUE(store.find_prediction(id)) << id;
  for (int i = 0; i < 30; ++i) EXPECT_FALSE(log.may_hold("r" + std::to_string(i))) << i;
}

// A background writer pausing between the tries of a failing store is not stalled: the commits
// are not handed to the urgent writer, which would meet the same store, and the stop line does
// not count an outage as "a busy machine".
TEST(PredictionLog, AStoreOutageIsNotTakenForAStalledWriter) {
  FailingStore store(open_store(store_path()));
  PredictionLogOptions o = quick_retries();
  o.retry_first = std::chrono::milliseconds(60);
  o.retry_most = std::chrono::milliseconds(60);
  o.stalled_after = std::chrono::milliseconds(150);
  o.background_idle = false;  // a writer at the process's priority: no real stall on a busy test
  o.background_nice = 0;      // machine, only the outage
  PredictionLog log(store, o);
  store.down = true;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(log.reserve());
    log.append(record(i));
  }
  // The oldest record waits well past stalled_after.
  ASSERT_TRUE(eventually([&] { return store.failed >= 8; }));
  EXPECT_EQ(log.stats().handovers, 0) << "a pause between tries was taken for a stall";
  store.down = false;
  ASSERT_TRUE(eventually([&] { return log.stats().committed == 5; }));
  EXPECT_EQ(log.stats().urgent_batches, 0);
}

// The retries do not hammer the store: the pause doubles up to retry_most.
TEST(PredictionLog, AFailingStoreIsTriedAgainAfterGrowingPauses) {
  FailingStore store(open_store(store_path()));
  PredictionLogOptions o = quick_retries();
  o.retry_first = std::chrono::milliseconds(20);
  o.retry_most = std::chrono::milliseconds(160);
  PredictionLog log(store, o);
  store.down = true;
  ASSERT_TRUE(log.reserve());
  log.append(record(0));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  // Pauses of 20, 40, 80 and then 160 ms: about 8 tries in a second, not hundreds (fewer on a
  // loaded machine, where the writers wait for a core).
  EXPECT_GE(store.failed.load(), 2);
  EXPECT_LE(store.failed.load(), 12);
  store.down = false;
  EXPECT_TRUE(eventually([&] { return log.stats().committed == 1; }));
}

// A commit that does not return (a lock another session holds, a server that stopped answering)
// fails nothing, so nothing said the store was in trouble: after commit_hangs_after the log's
// health says so, and it clears when the commit returns.
TEST(PredictionLog, ACommitThatDoesNotReturnMakesTheStoreFailing) {
  FailingStore store(open_store(store_path()));
  PredictionLogOptions o = quick_retries();
  o.commit_hangs_after = std::chrono::milliseconds(200);
  PredictionLog log(store, o);
  EXPECT_FALSE(log.health().store_failing);
  store.hang = true;
  ASSERT_TRUE(log.reserve());
  log.append(record(0));
  ASSERT_TRUE(eventually([&] { return log.health().store_failing; }));
  EXPECT_TRUE(log.health().stalled);
  EXPECT_GE(log.health().failing_for_s, 0.2);
  EXPECT_NE(log.stats().store_error.find("has not returned"), std::string::npos);
  store.hang = false;
  EXPECT_TRUE(eventually([&] { return log.stats().committed == 1; }));
  EXPECT_FALSE(log.health().store_failing);
}

// A log stopping while the store still fails gives up after stop_tries and says how many
// answered predictions were not stored; it does not hang.
TEST(PredictionLog, AStopWithTheStoreStillDownCountsWhatWasNotStored) {
  FailingStore store(open_store(store_path()));
  PredictionLogOptions o = quick_retries();
  o.stop_tries = 2;
  // The requests sent upstream meanwhile: their audit rows wait with the predictions, and are
  // counted as not stored when the stop gives up (they had been dropped uncounted).
  std::atomic<int> taken{0};
  o.take_audit = [&] {
    ++taken;
    return std::vector<AuditRecord>{{"test", "http://127.0.0.1:9/v1/chat/completions", true,
                                     1700000000000, std::string(64, 'a'), 100, "{}"}};
  };
  PredictionLog log(store, o);
  store.down = true;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(log.reserve());
    log.append(record(i));
  }
  ASSERT_TRUE(eventually([&] { return store.failed >= 1; }));
  auto start = std::chrono::steady_clock::now();
  log.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  auto s = log.stats();
  EXPECT_EQ(s.dropped, 5);
  EXPECT_EQ(s.committed, 0);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_GT(taken.load(), 0);
  EXPECT_EQ(s.audit_not_stored, taken.load()) << "each audit row taken is counted";
}

// Predictions answered while the queue is full and the store fails are counted, not queued.
TEST(PredictionLog, PredictionsNotStoredAreCountedInItsHealth) {
  FailingStore store(open_store(store_path()));
  PredictionLogOptions o = quick_retries();
  o.capacity = 2;
  PredictionLog log(store, o);
  store.down = true;
  ASSERT_TRUE(log.reserve(2));
  log.append(record(0));
  log.append(record(1));
  ASSERT_TRUE(eventually([&] { return log.store_failing(); }));
  EXPECT_FALSE(log.reserve());
  log.not_stored(3);
  PredictionLog::Health h = log.health();
  EXPECT_EQ(h.queued, 2u);
  EXPECT_EQ(h.not_stored, 3);
  EXPECT_EQ(log.stats().dropped, 3);
  store.down = false;
  EXPECT_TRUE(eventually([&] { return log.stats().committed == 2; }));
  EXPECT_FALSE(log.health().store_failing);
}

// The audit rows of the requests sent during an outage wait with the predictions and are stored
// with them once the store is back; a long outage keeps the latest `capacity` of them, no more.
TEST(PredictionLog, AuditRowsWaitThroughAnOutageUpToTheCapacity) {
  FailingStore store(open_store(store_path()));
  PredictionLogOptions o = quick_retries();
  o.capacity = 5;
  std::atomic<int> taken{0};
  o.take_audit = [&] {
    int n = ++taken;
    return std::vector<AuditRecord>{{"test", "http://127.0.0.1:9/v1/chat/completions", true,
                                     1700000000000 + n, std::string(64, 'a'), 100, "{}"}};
  };
  PredictionLog log(store, o);
  store.down = true;
  ASSERT_TRUE(log.reserve());
  log.append(record(0));
  ASSERT_TRUE(eventually([&] { return store.failed >= 8; }));
  store.down = false;
  ASSERT_TRUE(eventually([&] { return log.stats().committed == 1; }));
  log.stop();
  const int64_t stored = static_cast<int64_t>(store.audit_records(0, INT64_MAX).size());
  EXPECT_GE(stored, 5) << "the latest rows were kept for the store";
  EXPECT_EQ(stored + log.stats().audit_not_stored, taken.load()) << "each row stored or counted";
  EXPECT_GT(log.stats().audit_not_stored, 0);
}

// A batch the store refuses for what it holds (here a prediction id stored already, SQLite's
// constraint) is stored in parts: only the refused row is lost, and it is not tried for ever.
TEST(PredictionLog, ABatchWithARowTheStoreRefusesLosesThatRowAlone) {
  auto store = open_store(store_path());
  PredictionLogOptions o = quick_retries();
  o.window = std::chrono::milliseconds(200);  // the rows below go in one batch
  PredictionLog log(*store, o);
  PredictionRecord first = record(0);
  ASSERT_TRUE(log.reserve());
  log.append(first);
  ASSERT_TRUE(log.flush());
  PredictionRecord clash = record(1);
  clash.prediction_id = first.prediction_id;  // another request under a taken id
  // ...and the first record again, as a commit that failed in doubt and went through would
  // send it: stored already, so not counted as lost.
  std::vector<PredictionRecord> batch = {record(2), clash, record(3), first, record(4)};
  for (auto& r : batch) {
    ASSERT_TRUE(log.reserve());
    log.append(r);
  }
  EXPECT_TRUE(log.may_hold("r3"));
  EXPECT_TRUE(log.flush());
  // Stored, refused or stored already: each has left the queue, so no feedback waits for it.
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(log.may_hold("r" + std::to_string(i))) << i;
  auto s = log.stats();
  EXPECT_EQ(s.committed, 1 + 4);
  EXPECT_EQ(s.dropped, 1) << "the clash alone";
  EXPECT_EQ(log.health().not_stored, 1) << "/healthz counts it too";
  EXPECT_EQ(s.queued, 0u);
  EXPECT_FALSE(log.store_failing());
  for (int i : {0, 2, 4}) EXPECT_TRUE(store->find_prediction(batch[i].prediction_id));
  EXPECT_EQ(store->find_prediction(first.prediction_id)->request_id, first.request_id);
}

}  // namespace
}  // namespace tunecase::serve
