#include "tunecase/serve/prediction_log.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tunecase::serve {
namespace {

PreviousRun read_previous(Store& store, const std::string& key) {
  PreviousRun run;
  std::optional<std::string> text = store.meta(key);
  if (!text) return run;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return run;
  run.clean = j.value("clean", true);
  run.acknowledged = j.value("acknowledged", int64_t{0});
  run.committed = j.value("committed", int64_t{0});
  return run;
}

}  // namespace

PredictionLog::PredictionLog(Store& store, PredictionLogOptions options)
    : store_(store), options_(std::move(options)) {
  previous_ = read_previous(store_, meta_key());
  write_progress(false);
  writer_ = std::thread([this] { writer_loop(); });
}

PredictionLog::~PredictionLog() {
  stop();
}

bool PredictionLog::reserve(std::size_t records) {
  std::lock_guard lock(mutex_);
  if (stopping_ || queue_.size() + reserved_ + records > options_.capacity) {
    ++stats_.refused;
    return false;
  }
  reserved_ += records;
  return true;
}

void PredictionLog::release(std::size_t records) {
  std::lock_guard lock(mutex_);
  reserved_ -= std::min(reserved_, records);
}

void PredictionLog::append(PredictionRecord record) {
  std::lock_guard lock(mutex_);
  if (reserved_ > 0) --reserved_;
  if (stopped_) {  // the writer is gone; nothing would ever commit it
    ++stats_.dropped;
    return;
  }
  queue_.push_back(std::move(record));
  ++stats_.appended;
  if (queue_.size() == 1 || queue_.size() >= options_.batch_size) wake_writer_.notify_one();
}

void PredictionLog::flush() {
  std::unique_lock lock(mutex_);
  int64_t target = stats_.appended;
  if (settled_ >= target || stopped_) return;
  ++flush_waiters_;
  wake_writer_.notify_one();
  committed_cv_.wait(lock, [&] { return settled_ >= target || stopped_; });
  --flush_waiters_;
}

void PredictionLog::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_writer_.notify_all();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  committed_cv_.notify_all();
  write_progress(true);
}

PredictionLog::Stats PredictionLog::stats() const {
  std::lock_guard lock(mutex_);
  Stats s = stats_;
  s.queued = queue_.size();
  return s;
}

void PredictionLog::writer_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_writer_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping, and everything is committed
    // Group commit: gather for one window unless the batch fills or someone waits.
    auto deadline = std::chrono::steady_clock::now() + options_.window;
    wake_writer_.wait_until(lock, deadline, [&] {
      return queue_.size() >= options_.batch_size || stopping_ || flush_waiters_ > 0;
    });
    std::size_t n = std::min(queue_.size(), options_.batch_size);
    std::vector<PredictionRecord> batch(std::make_move_iterator(queue_.begin()),
                                        std::make_move_iterator(queue_.begin() + n));
    queue_.erase(queue_.begin(), queue_.begin() + n);
    lock.unlock();
    bool ok = commit(batch);
    lock.lock();
    settled_ += static_cast<int64_t>(n);
    (ok ? stats_.committed : stats_.dropped) += static_cast<int64_t>(n);
    ++stats_.batches;
    committed_cv_.notify_all();
    lock.unlock();
    write_progress(false);
    lock.lock();
  }
}

// A store that fails (a PostgreSQL restart, a full disk) gets three tries a second apart; then
// the batch is dropped and counted, so the queue cannot stay full for ever.
bool PredictionLog::commit(std::vector<PredictionRecord>& batch) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      store_.log_predictions(batch);
      return true;
    } catch (const std::exception& e) {
      fmt::print(stderr, "prediction log: committing {} predictions failed: {}\n", batch.size(),
                 e.what());
      if (attempt < 2) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  return false;
}

void PredictionLog::write_progress(bool clean) {
  Stats s = stats();
  nlohmann::json j = {{"clean", clean},
                      {"acknowledged", s.appended},
                      {"committed", s.committed},
                      {"dropped", s.dropped},
                      {"pid", static_cast<int64_t>(getpid())}};
  try {
    store_.set_meta(meta_key(), j.dump());
  } catch (const std::exception& e) {
    fmt::print(stderr, "prediction log: cannot record progress: {}\n", e.what());
  }
}

}  // namespace tunecase::serve
