#include "tunecase/serve/prediction_log.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <chrono>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tunecase/core/thread_priority.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/core/work_pacing.h"

namespace tunecase::serve {
namespace {

PreviousRun parse_previous(const std::string& text) {
  PreviousRun run;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return run;
  run.clean = j.value("clean", true);
  run.acknowledged = j.value("acknowledged", int64_t{0});
  run.committed = j.value("committed", int64_t{0});
  run.last_batch = j.value("batch", int64_t{0});
  run.at_ms = j.value("at_ms", int64_t{0});
  run.reported = j.value("reported", false);
  return run;
}

PreviousRun read_previous(Store& store, const std::string& key) {
  std::optional<std::string> text = store.meta(key);
  return text ? parse_previous(*text) : PreviousRun{};
}

std::string this_host() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return host;
}

bool process_alive(int64_t pid) {
  if (pid <= 0) return true;  // unknown: never called gone
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

constexpr std::string_view kProgressPrefix = "serve.log.";

// The records of other instances on this host whose run stopped without flushing and whose
// process is gone; each is marked as reported so that the next start does not say it again.
std::vector<OtherUnflushedRun> find_other_unflushed(Store& store, const std::string& own_key) {
  std::vector<OtherUnflushedRun> out;
  const std::string host = this_host();
  for (const auto& [key, value] : store.meta_with_prefix(std::string(kProgressPrefix))) {
    if (key == own_key) continue;
    nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
    if (!j.is_object() || j.value("clean", true) || j.value("reported", false)) continue;
    if (j.value("host", std::string()) != host) continue;  // another machine's, or unknown
    const int64_t pid = j.value("pid", int64_t{0});
    if (process_alive(pid)) continue;
    out.push_back({key.substr(kProgressPrefix.size()), pid, parse_previous(value)});
    j["reported"] = true;
    store.set_meta(key, j.dump());
  }
  return out;
}

constexpr std::string_view kLostPrefix = "serve.lost.";

// Every run the store records as having lost predictions, newest first.
std::vector<LostWindow> read_lost_windows(Store& store) {
  std::vector<LostWindow> out;
  for (const auto& [key, value] : store.meta_with_prefix(std::string(kLostPrefix))) {
    nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
    if (!j.is_object()) continue;
    LostWindow w;
    w.instance = j.value("instance", std::string());
    w.at_ms = j.value("at_ms", int64_t{0});
    if (j.contains("estimate") && j["estimate"].is_number_integer())
      w.estimate = j["estimate"].get<int64_t>();
    w.unsaved_at_record = j.value("unsaved_at_record", int64_t{0});
    w.found_at_ms = j.value("found_at_ms", int64_t{0});
    out.push_back(std::move(w));
  }
  std::sort(out.begin(), out.end(),
            [](const LostWindow& a, const LostWindow& b) { return a.at_ms > b.at_ms; });
  return out;
}

// Records the runs found at this start that stopped without flushing (idempotent: one key per
// run and record), then reads every such record the store holds, newest first.
std::vector<LostWindow> record_lost_windows(Store& store, const std::string& instance,
                                            const PreviousRun& previous,
                                            const std::vector<OtherUnflushedRun>& others) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto record = [&](const std::string& name, const PreviousRun& run) {
    if (run.at_ms <= 0) return;
    const std::string key = fmt::format("{}{}.{}", kLostPrefix, name, run.at_ms);
    if (store.meta(key)) return;  // found by an earlier start
    const int64_t unsaved = std::max<int64_t>(0, run.lost_at_least());
    nlohmann::json j = {{"instance", name},
                        {"at_ms", run.at_ms},
                        {"estimate", run.last_batch > 0 ? nlohmann::json(unsaved + run.last_batch)
                                                        : nlohmann::json(nullptr)},
                        {"unsaved_at_record", unsaved},
                        {"found_at_ms", now}};
    store.set_meta(key, j.dump());
  };
  if (!previous.clean) record(instance, previous);
  for (const OtherUnflushedRun& other : others) record(other.instance, other.run);
  return read_lost_windows(store);
}

// How long a writer thread has waited for a core while runnable (the second figure of its
// /proc/thread-self/schedstat); where the kernel keeps no such figure, the time it was not on a
// core at all (which counts its I/O waits too). Made on the thread it measures; the file stays
// open, so a reading is one pread(), not an open, a read and a close around every commit.
struct ThreadClock {
  int64_t waited_ns = 0;
  bool from_schedstat = false;
};
class ThreadClockReader {
 public:
  ThreadClockReader() : fd_(::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC)) {}
  ~ThreadClockReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  ThreadClockReader(const ThreadClockReader&) = delete;
  ThreadClockReader& operator=(const ThreadClockReader&) = delete;

  ThreadClock read() const {
    ThreadClock c;
    char text[128];
    ssize_t n = fd_ >= 0 ? ::pread(fd_, text, sizeof text - 1, 0) : -1;
    if (n > 0) {
      text[n] = '\0';
      unsigned long long ran = 0, waited = 0;
      c.from_schedstat = std::sscanf(text, "%llu %llu", &ran, &waited) == 2;
      c.waited_ns = static_cast<int64_t>(waited);
    }
    if (!c.from_schedstat) {
      timespec wall{}, cpu{};
      clock_gettime(CLOCK_MONOTONIC, &wall);
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
      c.waited_ns = (wall.tv_sec - cpu.tv_sec) * 1'000'000'000LL + (wall.tv_nsec - cpu.tv_nsec);
    }
    return c;
  }

 private:
  int fd_;
};

}  // namespace

PredictionLog::PredictionLog(Store& store, PredictionLogOptions options)
    : store_(store),
      options_(std::move(options)),
      queued_ids_(new std::atomic<int32_t>[kQueuedIdSlots]) {
  for (std::size_t i = 0; i < kQueuedIdSlots; ++i) queued_ids_[i].store(0);
  host_ = this_host();
  previous_ = read_previous(store_, meta_key());
  try {
    others_ = find_other_unflushed(store_, meta_key());
  } catch (const std::exception& e) {
    fmt::print(stderr, "prediction log: cannot read the other instances' records: {}\n", e.what());
  }
  try {
    lost_windows_ = record_lost_windows(store_, options_.instance, previous_, others_);
  } catch (const std::exception& e) {
    fmt::print(stderr, "prediction log: cannot record or read the runs that lost predictions: {}\n",
               e.what());
  }
  write_progress(false);
  writer_ = std::thread([this] { writer_loop(Writer::background); });
  urgent_writer_ = std::thread([this] { writer_loop(Writer::urgent); });
}

PredictionLog::~PredictionLog() {
  stop();
}

bool PredictionLog::reserve(std::size_t records) {
  const std::size_t before = held_.fetch_add(records);
  if (stopping_ || before + records > options_.capacity) {
    held_.fetch_sub(records);
    ++refused_;
    return false;
  }
  return true;
}

void PredictionLog::release(std::size_t records) {
  held_.fetch_sub(records);
}

void PredictionLog::append(PredictionRecord record) {
  if (stopped_) {  // the writer is gone; nothing would ever commit it
    held_.fetch_sub(1);
    ++dropped_late_;
    return;
  }
  ++appended_;
  queued_id_count(record.request_id).fetch_add(1);
  const std::size_t before = inbox_count_.fetch_add(1);
  const bool first = inbox_.push(std::move(record));
  // The first record since a writer emptied the inbox wakes it (a writer that found the inbox
  // empty waits under the lock taken here, so the wake cannot fall between its look and its
  // wait); so does a full batch.
  if (!first && before + 1 != options_.batch_size) return;
  if (first) {
    int64_t unset = 0;  // a writer that took the inbox meanwhile finds 0, "just now"
    inbox_since_.compare_exchange_strong(
        unset, std::chrono::steady_clock::now().time_since_epoch().count());
  }
  std::lock_guard lock(mutex_);
  Writer writer = current_writer();
  wake(writer);
  // The urgent writer times the background writer's batch from its first record.
  if (first && writer == Writer::background) wake(Writer::urgent);
}

void PredictionLog::take_batch(std::size_t most, std::vector<PredictionRecord>& batch) {
  const int64_t since = inbox_since_.load();
  const bool was_empty = backlog_.empty();
  const std::size_t taken = inbox_.take_into(backlog_);
  inbox_count_.fetch_sub(taken);
  if (taken > 0) {
    int64_t seen = since;  // unless the next record's push has said when it came already
    inbox_since_.compare_exchange_strong(seen, 0);
    if (was_empty)
      backlog_since_.store(
          since != 0 ? since : std::chrono::steady_clock::now().time_since_epoch().count());
  }
  const std::size_t n = std::min(backlog_.size(), std::max<std::size_t>(most, 1));
  if (n == backlog_.size()) {
    batch.swap(backlog_);  // the empty one left behind keeps the last batch's capacity
  } else {
    // Records left behind keep the oldest's time: they have waited already.
    batch.assign(std::make_move_iterator(backlog_.begin()),
                 std::make_move_iterator(backlog_.begin() + static_cast<std::ptrdiff_t>(n)));
    backlog_.erase(backlog_.begin(), backlog_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  backlog_count_.store(backlog_.size());
}

std::chrono::steady_clock::time_point PredictionLog::oldest_at() const {
  const int64_t since = backlog_count_.load() > 0 ? backlog_since_.load() : inbox_since_.load();
  // 0: the first record's push has not said when yet; it came just now.
  if (since == 0) return std::chrono::steady_clock::now();
  return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(since));
}

PredictionLog::Writer PredictionLog::current_writer() {
  if (in_charge_ == Writer::urgent && std::chrono::steady_clock::now() >= urgent_until_) {
    in_charge_ = Writer::background;
    wake(Writer::background);
  }
  return in_charge_;
}

void PredictionLog::wake(Writer writer) {
  wake_[static_cast<int>(writer)].notify_one();
}

bool PredictionLog::flush(std::optional<std::chrono::milliseconds> at_most) {
  std::unique_lock lock(mutex_);
  int64_t target = appended_;
  if (settled_ >= target) return true;
  // A failing store would keep the caller waiting through its pauses and time-outs.
  if (stopped_ || store_failing()) return false;
  const int64_t failures = stats_.failed_commits;
  if (flush_waiters_++ == 0) flush_since_ = std::chrono::steady_clock::now();
  Writer writer = current_writer();
  wake(writer);
  // Someone waits (a feedback for a queued prediction): the urgent writer's watch gets shorter.
  if (writer == Writer::background) wake(Writer::urgent);
  auto done = [&] { return settled_ >= target || stopped_ || stats_.failed_commits > failures; };
  if (at_most) {
    committed_cv_.wait_for(lock, *at_most, done);
  } else {
    committed_cv_.wait(lock, done);
  }
  --flush_waiters_;
  return settled_ >= target;
}

std::atomic<int32_t>& PredictionLog::queued_id_count(std::string_view request_id) const {
  return queued_ids_[std::hash<std::string_view>{}(request_id) % kQueuedIdSlots];
}

bool PredictionLog::may_hold(std::string_view request_id) const {
  return queued_id_count(request_id).load() > 0;
}

void PredictionLog::forget_queued(const PredictionRecord& record) {
  queued_id_count(record.request_id).fetch_sub(1);
}

std::vector<LostWindow> PredictionLog::lost_windows() const {
  std::lock_guard lock(lost_windows_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now - lost_windows_read_ >= std::chrono::seconds(1)) {
    lost_windows_read_ = now;
    try {
      lost_windows_ = read_lost_windows(store_);
    } catch (const std::exception&) {  // the list read last
    }
  }
  return lost_windows_;
}

bool PredictionLog::other_instances_running() const {
  for (const auto& [key, value] : store_.meta_with_prefix(std::string(kProgressPrefix))) {
    if (key == meta_key()) continue;
    nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
    if (j.is_object() && !j.value("clean", true) && !j.value("reported", false)) return true;
  }
  return false;
}

void PredictionLog::not_stored(std::size_t records) {
  not_stored_ += static_cast<int64_t>(records);
}

void PredictionLog::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    // A failing store gets its last tries a second apart, not after the longest pause.
    retry_at_ = std::min(retry_at_, std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  wake(Writer::background);
  wake(Writer::urgent);
  if (writer_.joinable()) writer_.join();
  if (urgent_writer_.joinable()) urgent_writer_.join();
  {
    std::lock_guard one_at_a_time(commit_mutex_);  // in the writers' order: then mutex_
    std::lock_guard lock(mutex_);
    stopped_ = true;
    // What an append() that raced the stop left behind: counted, never committed.
    std::vector<PredictionRecord> late;
    take_batch(std::numeric_limits<std::size_t>::max(), late);
    const std::size_t n = late.size();
    held_.fetch_sub(n);
    not_stored_ += static_cast<int64_t>(n);
    settled_ += static_cast<int64_t>(n);
    drop_pending_audit();
  }
  committed_cv_.notify_all();
  write_progress(true);
}

PredictionLog::Stats PredictionLog::stats() const {
  std::lock_guard lock(mutex_);
  Stats s = stats_;
  s.appended = appended_;
  s.dropped = dropped_late_ + not_stored_;
  s.refused = refused_;
  s.queued = queued() + in_flight_.load();
  const Health h = health();
  s.failing_for_s = h.failing_for_s;
  if (h.stalled && s.store_error.empty())
    s.store_error = fmt::format("a commit has not returned for {:.0f} s", h.failing_for_s);
  s.audit_not_stored = audit_not_stored_;
  if (s.failing_for_s == 0) s.store_error.clear();
  return s;
}

PredictionLog::Health PredictionLog::health() const {
  Health h;
  const int64_t since = failing_since_.load(std::memory_order_relaxed);
  if (since != 0) {
    h.store_failing = true;
    const auto first =
        std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(since));
    h.failing_for_s = std::max(
        1e-3, std::chrono::duration<double>(std::chrono::steady_clock::now() - first).count());
  } else if (const int64_t started = commit_started_.load(); started != 0) {
    const auto at =
        std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(started));
    const auto running = std::chrono::steady_clock::now() - at;
    if (running >= options_.commit_hangs_after) {
      h.store_failing = true;
      h.stalled = true;
      h.failing_for_s = std::chrono::duration<double>(running).count();
    }
  }
  h.queued = queued() + in_flight_.load();
  h.not_stored = not_stored_.load(std::memory_order_relaxed) + dropped_late_.load();
  return h;
}

void PredictionLog::hand_over() {
  in_charge_ = Writer::urgent;
  urgent_until_ = std::chrono::steady_clock::now() + options_.urgent_for;
  ++stats_.handovers;
  wake(Writer::urgent);
}

void PredictionLog::watch_background(std::unique_lock<std::mutex>& lock) {
  std::condition_variable& wake_me = wake_[static_cast<int>(Writer::urgent)];
  auto watching = [&] { return !stopping_ && current_writer() == Writer::background; };
  while (watching()) {
    if (!has_records()) {
      wake_me.wait(lock, [&] { return has_records() || !watching(); });
      continue;
    }
    const int waiters = flush_waiters_;
    const auto patience = waiters > 0 ? options_.stalled_after / 5 : options_.stalled_after;
    auto stalled_at = waiters > 0
                          ? std::min(oldest_at() + options_.stalled_after, flush_since_ + patience)
                          : oldest_at() + options_.stalled_after;
    // A writer waiting out a failing store's pause is not stalled, and the urgent writer would
    // meet the same store: the wait counts from the next try.
    stalled_at = std::max(stalled_at, retry_at_ + patience);
    if (std::chrono::steady_clock::now() >= stalled_at) return hand_over();
    // Meanwhile the background writer may commit these records; then the age is looked at again
    // for what came after them.
    wake_me.wait_until(lock, stalled_at,
                       [&] { return !watching() || (waiters == 0 && flush_waiters_ > 0); });
  }
}

void PredictionLog::writer_loop(Writer self) {
  bool idle_class = false;
  if (self == Writer::background) {
    idle_class = options_.background_idle && move_thread_to_idle_class();
    if (!idle_class) lower_thread_priority(options_.background_nice);
    std::lock_guard lock(mutex_);
    stats_.background_idle = idle_class;
  }
  const ThreadClockReader clock;
  // An idle-class writer waits for a core whenever anything else runs, so its waits say
  // nothing and are not read.
  const bool timed = !idle_class;
  std::condition_variable& wake_me = wake_[static_cast<int>(self)];
  std::vector<PredictionRecord> batch;
  std::optional<WorkPacer> pacer;
  if (self == Writer::background && options_.pace_slice.count() > 0)
    pacer.emplace(options_.pace_slice, options_.pace_pause,
                  [this] { return in_charge_.load(std::memory_order_relaxed) == Writer::urgent; });
  std::unique_lock lock(mutex_);
  // Once stopping, both writers drain the queue.
  auto mine = [&] { return stopping_ || current_writer() == self; };
  for (;;) {
    if (self == Writer::urgent) watch_background(lock);
    // The urgent writer goes back to watching once the commits are handed back.
    wake_me.wait(lock, [&] {
      return stopping_ || (has_records() && mine()) || (self == Writer::urgent && !mine());
    });
    if (!mine()) continue;
    if (!has_records()) return;  // stopping, and everything is committed
    if (abandoned_) {
      drop_queued(lock);
      continue;
    }
    // A failing store is tried again after its pause, not hammered (stop() shortens it).
    if (std::chrono::steady_clock::now() < retry_at_) {
      wake_me.wait_until(lock, retry_at_);
      continue;
    }
    // Group commit: gather until the oldest record has waited a window, unless the batch fills
    // or someone waits. Records left behind by a smaller commit have waited already.
    wake_me.wait_until(lock, oldest_at() + options_.window, [&] {
      return queued() >= options_.batch_size || stopping_ || flush_waiters_ > 0 || !mine();
    });
    if (!mine()) continue;  // the other writer has it
    const std::size_t most = self == Writer::background && !stopping_
                                 ? std::min(options_.background_batch, options_.batch_size)
                                 : options_.batch_size;
    lock.unlock();
    {
      // The records change hands here, outside mutex_: an event loop that wakes a writer never
      // waits while this thread, which may run at a lower priority and lose its core at any
      // moment, moves them.
      std::lock_guard one_at_a_time(commit_mutex_);
      take_batch(most, batch);
      const std::size_t n = batch.size();
      if (n == 0) {  // the other writer took them, or a push is still landing
        lock.lock();
        continue;
      }
      in_flight_.store(n);  // still held: a failed commit puts them back
      ThreadPacerScope paced(pacer && !stopping_ ? &*pacer : nullptr);
      if (pacer) pacer->restart();
      ThreadClock before = timed ? clock.read() : ThreadClock{};
      const Committed c = commit_batch(batch);
      ThreadClock after = timed ? clock.read() : ThreadClock{};
      held_.fetch_sub(c.stored + c.refused);  // the kept ones wait for the next try
      in_flight_.store(0);
      // Outside the lock; the capacity stays for the next swap. Freed a few at a time when paced.
      while (!batch.empty()) {
        batch.pop_back();
        if (batch.size() % 16 == 0) pace_point();
      }
      lock.lock();
      settled_ += static_cast<int64_t>(c.stored + c.refused);
      stats_.committed += static_cast<int64_t>(c.stored);
      not_stored_ += static_cast<int64_t>(c.refused);
      if (c.kept > 0) {
        note_failure(c.error, c.kept);
        committed_cv_.notify_all();  // a flush() waiter learns that the store fails
        continue;
      }
      if (pacer) stats_.pauses = pacer->pauses();
      ++stats_.batches;
      note_success();
      if (self == Writer::urgent) ++stats_.urgent_batches;
      const bool comparable = after.from_schedstat == before.from_schedstat;
      const int64_t waited_ns = comparable ? after.waited_ns - before.waited_ns : 0;
      const int64_t starved_ns = std::chrono::nanoseconds(options_.starved_after).count();
      const bool starved = comparable && waited_ns >= starved_ns;
      if (self == Writer::background && !idle_class && starved && !stopping_ &&
          in_charge_ == Writer::background) {
        hand_over();
      } else if (self == Writer::urgent && waited_ns >= starved_ns / 4) {
        // Even the full-priority writer waited for a core: the machine is still busy, and a
        // background commit now would stall the log behind it. Keep the commits a while longer.
        urgent_until_ = std::chrono::steady_clock::now() + options_.urgent_for;
      }
      committed_cv_.notify_all();
      lock.unlock();
    }
    run_after_commit();
    lock.lock();
  }
}

void PredictionLog::run_after_commit() {
  if (!options_.after_commit) return;
  try {
    options_.after_commit(store_);
  } catch (const std::exception& e) {
    fmt::print(stderr, "prediction log: after a commit: {}\n", e.what());
  }
}

PredictionLog::CommitResult PredictionLog::commit(std::vector<PredictionRecord>& batch,
                                                  std::string& error, std::size_t stored_before) {
  CommitExtras extras;
  extras.audit = std::move(pending_audit_);
  pending_audit_.clear();
  if (options_.take_audit) {
    try {
      std::vector<AuditRecord> more = options_.take_audit();
      extras.audit.insert(extras.audit.end(), std::make_move_iterator(more.begin()),
                          std::make_move_iterator(more.end()));
    } catch (const std::exception& e) {
      fmt::print(stderr, "prediction log: taking the audit rows failed: {}\n", e.what());
    }
  }
  // A long outage must not grow the audit rows kept for the store without bound (requests go on
  // being answered): the latest `capacity` are kept, the rest counted and said.
  if (extras.audit.size() > options_.capacity) {
    const std::size_t excess = extras.audit.size() - options_.capacity;
    extras.audit.erase(extras.audit.begin(),
                       extras.audit.begin() + static_cast<std::ptrdiff_t>(excess));
    audit_not_stored_ += static_cast<int64_t>(excess);
    fmt::print(stderr,
               "prediction log: {} audit rows not stored: the store has failed for long, and the "
               "latest {} are kept for it\n",
               excess, options_.capacity);
  }
  extras.meta_key = meta_key();
  extras.meta_value = progress(false, stored_before + batch.size());
  struct Started {
    std::atomic<int64_t>& at;
    ~Started() { at.store(0); }
  } started{commit_started_};
  commit_started_.store(std::chrono::steady_clock::now().time_since_epoch().count());
  try {
    store_.log_predictions(batch, extras);
    return CommitResult::committed;
  } catch (const RecordsRefused& e) {
    error = e.what();
    pending_audit_ = std::move(extras.audit);
    return CommitResult::refused;
  } catch (const std::exception& e) {
    error = e.what();
    pending_audit_ = std::move(extras.audit);  // stored with the next commit that succeeds
    return CommitResult::failed;
  }
}

std::optional<std::string> unflushed_run_note(const PreviousRun& run, const std::string& instance,
                                              std::chrono::milliseconds window) {
  if (run.clean) return std::nullopt;
  std::string when =
      run.at_ms > 0 ? fmt::format(" (its last progress record: {} UTC)", utc_text(run.at_ms)) : "";
  std::string after =
      run.last_batch > 0
          ? fmt::format(
                "about {} (estimated: the size of its last commit). A run that stopped or died "
                "while the store was failing lost everything it answered from that record on, as "
                "no record can be written then: a stop says how many on its stderr, a kill leaves "
                "no count (your clients' requests since {} UTC bound it)",
                run.last_batch, run.at_ms > 0 ? utc_text(run.at_ms) : std::string("then"))
          : std::string("how many is not known (the record was written before its first commit)");
  return fmt::format(
      "the previous run of instance '{}' stopped without flushing its log{}: {} acknowledged "
      "predictions were not committed at that record, and those it acknowledged after it, up to "
      "a commit window ({} ms) or more if the store lagged, are lost too: {}",
      instance, when, std::max<int64_t>(0, run.lost_at_least()), window.count(), after);
}

PredictionLog::Committed PredictionLog::commit_batch(std::vector<PredictionRecord>& batch) {
  Committed c;
  // The store failed (not refused): the whole batch waits for the next try.
  auto keep_all = [&](std::string why) {
    c.kept = batch.size();
    c.error = std::move(why);
    requeue(batch);
    return c;
  };
  std::string error;
  const CommitResult whole = commit(batch, error);
  if (whole == CommitResult::committed) {
    c.stored = batch.size();
    for (const PredictionRecord& r : batch) forget_queued(r);
    return c;
  }
  if (whole == CommitResult::failed) return keep_all(error);
  // Refused for what it holds (a row the store cannot take): tried in halves, and halves of
  // those, so that only the rows the store refuses are lost. The audit rows go first, alone.
  fmt::print(stderr,
             "prediction log: the store refused a commit of {} predictions for what they hold "
             "({}); storing them in parts to leave out only the rows it refuses\n",
             batch.size(), error);
  if (!pending_audit_.empty()) {
    CommitExtras audit_only;
    audit_only.audit = std::move(pending_audit_);
    pending_audit_.clear();
    try {
      store_.log_predictions({}, audit_only);
    } catch (const RecordsRefused& e) {
      fmt::print(stderr, "prediction log: {} audit rows not stored, refused by the store: {}\n",
                 audit_only.audit.size(), e.what());
    } catch (const std::exception& e) {
      pending_audit_ = std::move(audit_only.audit);
      return keep_all(e.what());
    }
  }
  std::vector<PredictionRecord> kept;
  std::vector<std::pair<std::size_t, std::size_t>> parts;  // [begin, end) of batch, last first
  auto halve = [&](std::size_t begin, std::size_t end) {
    const std::size_t mid = begin + (end - begin) / 2;
    parts.emplace_back(mid, end);
    parts.emplace_back(begin, mid);
  };
  halve(0, batch.size());
  while (!parts.empty()) {
    auto [begin, end] = parts.back();
    parts.pop_back();
    auto first = batch.begin() + static_cast<std::ptrdiff_t>(begin);
    auto last = batch.begin() + static_cast<std::ptrdiff_t>(end);
    if (!c.error.empty()) {  // the store failed meanwhile: the rest waits for the next try
      kept.insert(kept.end(), std::make_move_iterator(first), std::make_move_iterator(last));
      continue;
    }
    std::vector<PredictionRecord> part(std::make_move_iterator(first),
                                       std::make_move_iterator(last));
    std::string part_error;
    switch (commit(part, part_error, c.stored)) {
      case CommitResult::committed:
        c.stored += part.size();
        for (const PredictionRecord& r : part) forget_queued(r);
        break;
      case CommitResult::failed:
        c.error = part_error;
        kept.insert(kept.end(), std::make_move_iterator(part.begin()),
                    std::make_move_iterator(part.end()));
        break;
      case CommitResult::refused:
        if (part.size() == 1 && stored_already(part[0])) {
          ++c.stored;  // a commit cut off mid-way (in doubt) that had gone through after all
          forget_queued(part[0]);
          break;
        }
        if (part.size() == 1) {
          ++c.refused;
          forget_queued(part[0]);
          fmt::print(stderr,
                     "prediction log: prediction {} (request {}) not stored, refused by the "
                     "store: {}\n",
                     part[0].prediction_id, part[0].request_id, part_error);
          break;
        }
        std::move(part.begin(), part.end(), first);
        halve(begin, end);
        break;
    }
  }
  c.kept = kept.size();
  if (!kept.empty()) requeue(kept);
  return c;
}

bool PredictionLog::stored_already(const PredictionRecord& record) {
  try {
    std::optional<PredictionRecord> found = store_.find_prediction(record.prediction_id);
    return found && found->request_id == record.request_id &&
           found->created_at_ms == record.created_at_ms;
  } catch (const std::exception&) {
    return false;
  }
}

void PredictionLog::requeue(std::vector<PredictionRecord>& batch) {
  // backlog_since_ still holds the time of the batch's oldest record: take_batch() left it.
  backlog_.insert(backlog_.begin(), std::make_move_iterator(batch.begin()),
                  std::make_move_iterator(batch.end()));
  batch.clear();
  backlog_count_.store(backlog_.size());
}

void PredictionLog::note_failure(const std::string& error, std::size_t records) {
  const auto now = std::chrono::steady_clock::now();
  ++stats_.failed_commits;
  stats_.store_error = error;
  retry_pause_ =
      retry_pause_.count() == 0
          ? options_.retry_first
          : std::min(retry_pause_ * 2, std::max(options_.retry_most, options_.retry_first));
  if (stopping_) {
    retry_pause_ = std::min<std::chrono::milliseconds>(retry_pause_, std::chrono::seconds(1));
    if (++stop_failures_ >= options_.stop_tries) abandoned_ = true;
  }
  retry_at_ = now + retry_pause_;
  if (!store_failing()) {
    failing_since_.store(now.time_since_epoch().count());
    reported_at_ = now;
    fmt::print(stderr,
               "prediction log: the store refused a commit of {} predictions ({}); they stay "
               "queued and the commit is tried again every {} ms at most while the gateway "
               "keeps answering\n",
               records, error, std::max(options_.retry_most, options_.retry_first).count());
  } else if (now - reported_at_ >= std::chrono::seconds(30) || abandoned_) {
    reported_at_ = now;
    fmt::print(stderr,
               "prediction log: the store still fails after {:.0f} s ({}); {} predictions wait, "
               "{} answered and not stored\n",
               health().failing_for_s, error, queued(), health().not_stored);
  }
}

void PredictionLog::note_success() {
  retry_pause_ = std::chrono::milliseconds(0);
  stop_failures_ = 0;
  if (!store_failing()) return;
  fmt::print(stderr,
             "prediction log: the store commits again after {:.1f} s; {} predictions wait to be "
             "stored, {} were answered and not stored meanwhile\n",
             health().failing_for_s, queued(), health().not_stored);
  failing_since_.store(0);
}

// The audit rows kept for the store's next try, counted as not stored (audit_not_stored) when
// there is none: requests that left the machine and are in no audit. Under commit_mutex_.
std::size_t PredictionLog::drop_pending_audit() {
  const std::size_t n = pending_audit_.size();
  pending_audit_.clear();
  audit_not_stored_ += static_cast<int64_t>(n);
  return n;
}

void PredictionLog::drop_queued(std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  std::size_t n = 0, audit = 0;
  {
    std::lock_guard one_at_a_time(commit_mutex_);
    std::vector<PredictionRecord> left;
    take_batch(std::numeric_limits<std::size_t>::max(), left);
    for (const PredictionRecord& r : left) forget_queued(r);
    n = left.size();
    held_.fetch_sub(n);
    audit = drop_pending_audit();
  }
  lock.lock();
  not_stored_ += static_cast<int64_t>(n);
  settled_ += static_cast<int64_t>(n);
  if (n > 0 || audit > 0)
    fmt::print(stderr,
               "prediction log: stopping with the store still failing ({}); {} answered "
               "predictions and {} audit rows (requests sent upstream) are not stored\n",
               stats_.store_error, n, audit);
  committed_cv_.notify_all();
}

std::string PredictionLog::progress(bool clean, std::size_t committing) const {
  Stats s = stats();
  nlohmann::json j = {{"clean", clean},
                      {"acknowledged", s.appended},
                      {"committed", s.committed + static_cast<int64_t>(committing)},
                      {"dropped", s.dropped},
                      {"batch", static_cast<int64_t>(committing)},
                      {"at_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count()},
                      {"pid", static_cast<int64_t>(getpid())},
                      {"host", host_}};
  return j.dump();
}

void PredictionLog::write_progress(bool clean) {
  try {
    store_.set_meta(meta_key(), progress(clean, 0));
  } catch (const std::exception& e) {
    fmt::print(stderr, "prediction log: cannot record progress: {}\n", e.what());
  }
}

}  // namespace tunecase::serve
