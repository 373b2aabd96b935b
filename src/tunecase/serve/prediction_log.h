#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tunecase/core/mpsc_inbox.h"
#include "tunecase/store/store.h"

namespace tunecase::serve {

struct PredictionLogOptions {
  std::size_t capacity = 50000;   // records queued and not yet committed, at most
  std::size_t batch_size = 2000;  // a commit happens at this many records...
  // ...or once the oldest queued record has waited this long.
  std::chrono::milliseconds window{50};
  // The background writer runs in the kernel's idle scheduling class (SCHED_IDLE): it commits on
  // a core that nothing else wants, and an event loop that wakes takes the core from it at once.
  // Where the kernel refuses, or with false, it runs `background_nice` above the process's nice
  // value instead (0: at the process's priority).
  bool background_idle = true;
  int background_nice = 10;
  // At most this many records in one background commit: a commit that the machine's load
  // starves part-way holds the store's write lock until it ends, so it is kept short.
  std::size_t background_batch = 256;
  // The background writer's work (its commits, with the audit rows' hashing, and freeing the
  // records after) runs in slices of `pace_slice` of CPU with a sleep of `pace_pause` after each
  // (core/work_pacing.h): on two cores, a commit's milliseconds of CPU in one stretch cost the
  // requests' latency tail more than the same CPU in slices does. A zero slice: no pauses. The
  // urgent writer, and a stopping log, never pause.
  std::chrono::microseconds pace_slice{100};
  std::chrono::microseconds pace_pause{100};
  // The commits go to the urgent writer, at the process's priority:
  // - when the oldest queued record has waited `stalled_after` (the background writer gets no
  //   core, or is stuck in a starved commit), or someone has waited a fifth of that in flush();
  //   the urgent writer watches for it. While the store fails (below), the time counts from the
  //   next try, not from the oldest record: a writer pausing between tries is not stalled;
  // - with a background writer at a nice value, when one of its commits spent more than
  //   `starved_after` runnable but not running (an idle-class writer waits for a core whenever
  //   anything else runs, so for it this says nothing).
  // The urgent writer keeps them for `urgent_for` after the last of its commits that waited a
  // quarter of `starved_after` itself (the machine still busy); then the background writer takes
  // them back.
  std::chrono::milliseconds stalled_after{250};
  // A commit that has not returned after this long makes health() say the store is failing
  // (a lock another session holds, a server that stopped answering), though none has failed.
  std::chrono::milliseconds commit_hangs_after{10000};
  std::chrono::microseconds starved_after{10000};
  std::chrono::milliseconds urgent_for{1000};
  // A commit the store refuses (PostgreSQL restarting or unreachable, a full disk, a locked
  // file) loses nothing: its records go back to the front of the queue and the commit is tried
  // again after `retry_first`, the pause doubling up to `retry_most` while the store keeps
  // failing. The queue holds them meanwhile (`capacity`); once it is full, requests are still
  // answered and their predictions counted as not stored (not_stored()), so a store outage
  // never takes the classification feature down. A stopping log tries `stop_tries` more
  // commits, a second apart, and then counts what is left as not stored.
  std::chrono::milliseconds retry_first{250};
  std::chrono::milliseconds retry_most{5000};
  int stop_tries = 3;
  // Called by the writer that commits, right before each commit, outside the log's locks: the
  // rows it returns are stored in the commit's own transaction (CommitExtras), beside the
  // predictions and the progress record. The gateway hands over the audit of its outbound
  // requests this way, at the log's priority and on its schedule. What it throws is reported on
  // stderr and the commit goes on without audit rows.
  std::function<std::vector<AuditRecord>()> take_audit;
  // Run by the writer that committed, after each commit, outside the log's locks (both writers
  // may run it at once). What it throws is reported on stderr.
  std::function<void(Store&)> after_commit;
  // The meta key of this replica's progress ("serve.log.<instance>"), read at the next start.
  std::string instance = "default";
};

// What the previous run of this instance left behind, read from the store at start.
struct PreviousRun {
  bool clean = true;         // it stopped through stop(), its queue flushed
  int64_t acknowledged = 0;  // predictions it had answered at its last progress record
  int64_t committed = 0;     // of those, committed
  int64_t last_batch = 0;    // predictions in the commit that wrote the record (0: unknown)
  int64_t at_ms = 0;         // when the record was written, ms since 1970 (0: unknown)
  bool reported = false;     // another instance's start has said its losses already
  int64_t lost_at_least() const { return acknowledged - committed; }
};

// Another instance's run on this host that did not stop cleanly and whose process is gone (a
// gateway killed, then started again on another port: another instance). Found at start, said
// once: its record is then marked as reported.
struct OtherUnflushedRun {
  std::string instance;
  int64_t pid = 0;
  PreviousRun run;
};

// A run that stopped without flushing its log: the predictions it answered in the moments after
// `at_ms` (its last progress record) are lost. Each start that finds one records it in the store
// (meta `serve.lost.<instance>.<at_ms>`), so that a feedback for one of those predictions gets a
// 404 that says so at any later start and on any replica, not only at the next start of the
// instance that was killed.
struct LostWindow {
  std::string instance;
  int64_t at_ms = 0;
  // Predictions lost, estimated as the start's note does; nullopt when the killed run had not
  // committed yet (the size of a commit, the estimate's basis, is not known).
  std::optional<int64_t> estimate;
  int64_t unsaved_at_record = 0;  // answered before at_ms and not committed then
  int64_t found_at_ms = 0;        // the start that found it: the run had died by then
};

// What the next start says of a previous run that did not stop cleanly, for `instance` with
// commits every `window`; nullopt when it did. The predictions acknowledged after the last
// record are not known; the size of the commit that wrote it estimates them (one window's
// traffic, more when the store lagged), and the text says it is an estimate.
std::optional<std::string> unflushed_run_note(const PreviousRun& run, const std::string& instance,
                                              std::chrono::milliseconds window);

// The gateway's prediction log: off the response path, bounded, group-committed.
// - reserve() is called before a request is worked on; false means the queue is full and the
//   request must be refused (503): memory never grows past `capacity` records.
// - append() queues a record under a reservation made before; it never blocks on the store.
// - A writer thread commits the queue in batches (Store::log_predictions, one transaction per
//   batch) every `window` or `batch_size` records, with this instance's progress (acknowledged
//   and committed counts, in the store's meta table) in the same transaction.
// - That writer runs in the idle scheduling class (or at a lower priority): a commit is a few
//   milliseconds of CPU every window, and a request that arrives meanwhile should not wait
//   behind it. When the machine is so busy that the background writer falls behind (see
//   `stalled_after`, `starved_after`), a second writer at the process's priority commits instead
//   until the machine has had `urgent_for` of calm, so that a busy machine cannot starve the log
//   and fill the queue. Commits never overlap: one runs at a time, whichever writer has it.
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

  // Predictions answered without a reservation because the queue was full while the store
  // failed (see retry_first): counted as not stored, never queued.
  void not_stored(std::size_t records = 1);
  // The last commit failed and none has succeeded since. Lock-free: the event loops ask it.
  bool store_failing() const { return failing_since_.load(std::memory_order_relaxed) != 0; }

  // Blocks until every record appended before the call is committed: true. False, at once, when
  // the store is failing, as soon as a commit fails meanwhile (the records stay queued), or when
  // `at_most` passes first (a commit waiting out another process's lock on the store).
  bool flush(std::optional<std::chrono::milliseconds> at_most = std::nullopt);
  // Flushes, writes a clean-stop progress record and joins the writer. Idempotent.
  void stop();

  const PreviousRun& previous_run() const { return previous_; }
  const std::vector<OtherUnflushedRun>& other_unflushed_runs() const { return others_; }
  // Every run this store records as having lost predictions (this start's finds included),
  // newest first: read at start, and again from the store when a second has passed since the
  // last read (another replica's start records the runs it finds; a store that cannot be read
  // leaves the last list). Reads the store.
  std::vector<LostWindow> lost_windows() const;
  // Whether another instance's progress record says it is running (or stopped without its
  // clean-stop record and not yet reported): its queue may hold a prediction this one's store
  // does not have yet. Reads the store.
  bool other_instances_running() const;
  // Whether a prediction for this client `id` may wait in the queue: false means none does.
  // Lock-free (a counting filter of the queued records' ids), so a feedback by id asks it
  // before its lookup and flushes only when it says yes.
  bool may_hold(std::string_view request_id) const;
  struct Stats {
    int64_t appended = 0, committed = 0, batches = 0, refused = 0;
    // Answered and never stored: not_stored() while the store failed with the queue full, rows
    // the store refused for what they hold, what a stopping log gave up on while the store still
    // failed, and appends after stop().
    int64_t dropped = 0;
    int64_t failed_commits = 0;    // commits the store refused (their records were kept)
    int64_t audit_not_stored = 0;  // audit rows beyond `capacity` while the store failed
    double failing_for_s = 0;      // since the first of the failures not followed by a commit
    std::string store_error;       // the last failure's message, while failing
    int64_t urgent_batches = 0;    // of `batches`, committed by the urgent writer
    int64_t handovers = 0;         // times the background writer was starved and handed over
    bool background_idle = false;  // the background writer runs in the idle scheduling class
    int64_t pauses = 0;            // the background writer's pauses between slices of its work
    std::size_t queued = 0;        // answered and not stored yet (a commit in flight included)
  };
  Stats stats() const;
  // What /healthz says, without the log's locks (the event loops answer it).
  struct Health {
    bool store_failing = false;
    bool stalled = false;  // failing because a commit has not returned, not because one failed
    double failing_for_s = 0;
    std::size_t queued = 0;  // as Stats::queued
    int64_t not_stored = 0;
  };
  Health health() const;

 private:
  enum class Writer { background, urgent };
  void writer_loop(Writer self);
  Writer current_writer();  // mutex_ held; hands the commits back once urgent_for has passed
  void wake(Writer writer);
  // One try at storing `batch` (with the audit rows and this instance's progress, counting
  // `stored_before` records of the same batch stored already); the message in `error` when not
  // committed. refused: the store refused the rows themselves (RecordsRefused).
  enum class CommitResult { committed, failed, refused };
  CommitResult commit(std::vector<PredictionRecord>& batch, std::string& error,
                      std::size_t stored_before = 0);
  // commit_mutex_ held: commits `batch`; a batch the store refuses for what it holds is stored
  // in parts, leaving out only the rows refused; what a failing store did not take goes back to
  // the front of the queue (kept). `batch` is left moved-from.
  struct Committed {
    std::size_t stored = 0, refused = 0, kept = 0;
    std::string error;  // why records were kept
  };
  Committed commit_batch(std::vector<PredictionRecord>& batch);
  // A prediction the store refused as a second copy: the first is this very record, stored by a
  // commit that failed in doubt and went through after all.
  bool stored_already(const PredictionRecord& record);
  // commit_mutex_ held: puts a refused batch back at the front of the queue.
  void requeue(std::vector<PredictionRecord>& batch);
  // mutex_ held: what a refused or a successful commit changes in the failure state.
  void note_failure(const std::string& error, std::size_t records);
  void note_success();
  // mutex_ held, on a stopping log that gave up: counts every queued record as not stored.
  void drop_queued(std::unique_lock<std::mutex>& lock);
  std::size_t drop_pending_audit();
  void write_progress(bool clean);
  // This instance's progress record, as it stands once `committing` more records are committed.
  std::string progress(bool clean, std::size_t committing) const;
  void run_after_commit();
  void hand_over();  // mutex_ held: the urgent writer takes the commits for urgent_for
  // mutex_ held: what the urgent writer does while the background writer has the commits: it
  // watches for a stall. Returns once the urgent writer has them or the log is stopping.
  void watch_background(std::unique_lock<std::mutex>& lock);
  // commit_mutex_ held: moves the inbox to the end of backlog_, then up to `most` records from
  // the front of backlog_ to `batch`.
  void take_batch(std::size_t most, std::vector<PredictionRecord>& batch);
  // Records wait in the inbox or the backlog.
  bool has_records() const { return !inbox_.empty() || backlog_count_.load() > 0; }
  std::size_t queued() const { return inbox_count_.load() + backlog_count_.load(); }
  // When the oldest waiting record came.
  std::chrono::steady_clock::time_point oldest_at() const;
  std::string meta_key() const { return "serve.log." + options_.instance; }
  // The counter of a request id in queued_ids_.
  std::atomic<int32_t>& queued_id_count(std::string_view request_id) const;
  // A record leaves the queue for good (committed, refused, or dropped): its id's count goes.
  void forget_queued(const PredictionRecord& record);

  Store& store_;
  PredictionLogOptions options_;
  PreviousRun previous_;
  std::vector<OtherUnflushedRun> others_;
  mutable std::mutex lost_windows_mutex_;
  mutable std::vector<LostWindow> lost_windows_;
  mutable std::chrono::steady_clock::time_point lost_windows_read_ =
      std::chrono::steady_clock::now();
  std::string host_;  // this machine's name, in the progress record
  mutable std::mutex mutex_;
  std::mutex commit_mutex_;  // one commit (and its progress record) at a time
  std::condition_variable wake_[2], committed_cv_;  // wake_ by Writer
  // append() pushes into the inbox without the lock, which the writers take and may hold while
  // they wait for a core (they run at a lower priority): an event loop never waits for them.
  // It takes the lock only to wake a writer: for the first record after a writer emptied the
  // inbox, and when the inbox reaches batch_size. A writer moves the inbox to the backlog, and
  // its batch from there, under commit_mutex_ alone, which no event loop takes.
  MpscInbox<PredictionRecord> inbox_;
  std::atomic<std::size_t> inbox_count_{0};  // counted before each push, so never below its size
  // steady_clock ticks of the first record the inbox took since a writer last emptied it (and
  // set it to 0), set by the push that found it empty; 0 until then.
  std::atomic<int64_t> inbox_since_{0};
  std::atomic<int64_t> appended_{0}, dropped_late_{0};  // dropped_late_: after stop()
  // Answered and never stored (Stats::dropped but dropped_late_): not_stored(), rows the store
  // refused, and what a stopping log gave up on. Atomic: /healthz reads it without the lock.
  std::atomic<int64_t> not_stored_{0};
  std::atomic<int64_t> audit_not_stored_{0};  // see Stats
  // A failing store (see retry_first): steady_clock ticks of the first failure since the last
  // commit (0: the store commits). The rest under mutex_.
  std::atomic<int64_t> failing_since_{0};
  // When the commit in progress started (steady clock ticks; 0: none): a commit that has not
  // returned for options_.commit_hangs_after (a lock another session holds, a silent server)
  // makes health() say the store is failing, though no commit has failed yet.
  std::atomic<int64_t> commit_started_{0};
  std::chrono::steady_clock::time_point retry_at_;  // no commit is tried before it
  std::chrono::milliseconds retry_pause_{0};
  std::chrono::steady_clock::time_point reported_at_;  // the last "still failing" line
  int stop_failures_ = 0;
  bool abandoned_ = false;  // stopping, and the store still failed stop_tries times
  // commit_mutex_: the audit rows of a refused commit, stored with the next one.
  std::vector<AuditRecord> pending_audit_;
  std::vector<PredictionRecord> backlog_;  // commit_mutex_: taken from the inbox, not committed
  std::atomic<std::size_t> backlog_count_{0};
  std::atomic<int64_t> backlog_since_{0};  // steady_clock ticks of its oldest record
  // Records reserved, queued or being committed (until the commit settles them): reserve() counts
  // without the lock, which the writers take too and may hold while they wait for a core (they run
  // at a lower priority), so the event loops never wait for them to refuse or let a request in.
  std::atomic<std::size_t> held_{0};
  // Records a writer is committing (out of the queue, still held): a failed commit puts them back.
  std::atomic<std::size_t> in_flight_{0};
  // Records queued or being committed, counted by a hash of their request id: append() counts
  // one up before its push, forget_queued() down once the record is stored, refused or dropped.
  // Ids that share a slot only make may_hold() say yes for nothing (a flush that was not needed).
  static constexpr std::size_t kQueuedIdSlots = 1 << 14;
  std::unique_ptr<std::atomic<int32_t>[]> queued_ids_;
  std::atomic<int64_t> refused_{0};
  Stats stats_;
  int64_t settled_ = 0;  // appended records committed or dropped
  int flush_waiters_ = 0;
  std::chrono::steady_clock::time_point flush_since_;  // since when someone waits in flush()
  // Set under mutex_; atomic because reserve() reads it without the lock (stopping: every
  // reservation is refused).
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};  // the writers are gone: append() drops what it gets
  // Set under mutex_; atomic because the background writer's pacer reads it without the lock:
  // once the urgent writer has the commits, a background commit still running stops pausing,
  // since the urgent writer waits for it to end. (On a saturated machine an idle-class writer
  // that sleeps between slices waits for a core again after each sleep, and would hold the log
  // up for seconds.)
  std::atomic<Writer> in_charge_{Writer::background};
  std::chrono::steady_clock::time_point urgent_until_;
  std::thread writer_, urgent_writer_;
};

}  // namespace tunecase::serve
