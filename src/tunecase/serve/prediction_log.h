#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tunecase/store/store.h"

namespace tunecase::serve {

struct PredictionLogOptions {
  std::size_t capacity = 50000;          // records queued and not yet committed, at most
  std::size_t batch_size = 2000;         // a commit happens at this many records...
  std::chrono::milliseconds window{50};  // ...or this long after the first of them queued
  // The meta key of this replica's progress ("serve.log.<instance>"), read at the next start.
  std::string instance = "default";
};

// What the previous run of this instance left behind, read from the store at start.
struct PreviousRun {
  bool clean = true;         // it stopped through stop(), its queue flushed
  int64_t acknowledged = 0;  // predictions it had answered at its last progress record
  int64_t committed = 0;     // of those, committed
  int64_t lost_at_least() const { return acknowledged - committed; }
};

// The gateway's prediction log: off the response path, bounded, group-committed.
// - reserve() is called before a request is worked on; false means the queue is full and the
//   request must be refused (503): memory never grows past `capacity` records.
// - append() queues a record under a reservation made before; it never blocks on the store.
// - One writer thread commits the queue in batches (Store::log_predictions, one transaction per
//   batch) every `window` or `batch_size` records, and after each commit writes this instance's
//   progress (acknowledged and committed counts) to the store's meta table.
// What a kill -9 loses: the records queued and not committed, i.e. those of the last commit
// window (plus any backlog if the store was slower than the traffic). The next start of the same
// instance reads the last progress record: `PreviousRun::lost_at_least()` of them were answered and
// not committed at that point; those answered in the following (at most one) window are not
// counted. Thread-safe.
class PredictionLog {
 public:
  PredictionLog(Store& store, PredictionLogOptions options);
  ~PredictionLog();  // stop()

  bool reserve(std::size_t records = 1);
  void release(std::size_t records = 1);  // a reservation that will not be used
  void append(PredictionRecord record);   // consumes one reservation

  // Blocks until every record appended before the call is committed (or the store failed).
  void flush();
  // Flushes, writes a clean-stop progress record and joins the writer. Idempotent.
  void stop();

  const PreviousRun& previous_run() const { return previous_; }
  struct Stats {
    int64_t appended = 0, committed = 0, batches = 0, dropped = 0, refused = 0;
    std::size_t queued = 0;
  };
  Stats stats() const;

 private:
  void writer_loop();
  bool commit(std::vector<PredictionRecord>& batch);
  void write_progress(bool clean);
  std::string meta_key() const { return "serve.log." + options_.instance; }

  Store& store_;
  PredictionLogOptions options_;
  PreviousRun previous_;
  mutable std::mutex mutex_;
  std::condition_variable wake_writer_, committed_cv_;
  std::deque<PredictionRecord> queue_;
  std::size_t reserved_ = 0;
  Stats stats_;
  int64_t settled_ = 0;  // appended records committed or dropped
  int flush_waiters_ = 0;
  bool stopping_ = false, stopped_ = false;
  std::thread writer_;
};

}  // namespace tunecase::serve
