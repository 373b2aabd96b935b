#pragma once

// Helpers shared by the monitor tests: a fresh SQLite store per test and a simple way to log a
// day of traffic with its feedback.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "tunecase/data/example.h"
#include "tunecase/data/synthetic.h"
#include "tunecase/monitor/daily.h"
#include "tunecase/monitor/replay.h"
#include "tunecase/store/store.h"

namespace tunecase::monitor::testing {

// 2026-03-02 00:00 UTC.
constexpr int64_t kT0 = 1772409600000;
constexpr int64_t kDay0 = kT0 / kDayMs;

// `tickets` synthetic support tickets (a year, the Autopilot launch in month 8) as labelled,
// time-stamped examples.
inline Examples synthetic_examples(std::size_t tickets) {
  SyntheticOptions o;
  o.tickets = tickets;
  Examples out;
  for (const auto& t : generate_tickets(o)) {
    Example e;
    e.id = t.id;
    e.text = t.text;
    e.label = t.category;
    e.time = t.created_at;
    out.push_back(std::move(e));
  }
  return out;
}

// The items of days [from_day, to_day) logged as `approach`'s predictions with their texts, and
// their gold labels as feedback. Returns the last prediction's time.
inline int64_t log_labelled_traffic(Store& store, const std::vector<ReplayItem>& items,
                                    int64_t from_day, int64_t to_day, const std::string& approach) {
  std::vector<PredictionRecord> batch;
  std::vector<Feedback> feedback;
  int64_t last = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    if (it.day < from_day || it.day >= to_day) continue;
    PredictionRecord p;
    p.prediction_id = make_prediction_id();
    p.request_id = "T" + std::to_string(i);
    p.approach = approach;
    p.label = "unknown";
    p.text = it.text;
    p.text_hash = std::to_string(i);
    p.created_at_ms = it.day * kDayMs + static_cast<int64_t>(i % 1000) * 1000;
    last = std::max(last, p.created_at_ms);
    batch.push_back(p);
    feedback.push_back({Feedback::By::request_id, p.request_id, it.label, p.created_at_ms + 1});
  }
  store.log_predictions(batch);
  store.record_feedback_batch(feedback);
  return last;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tunecase-monitor-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = open_store((dir_ / "store.db").string());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // `requests` predictions of `approach` on day kDay0 + day, the first `labelled` of them
  // labelled, `correct` of those correctly; latency `latency_ms`, $0.01 each.
  void log_day(const std::string& approach, int day, int requests, int labelled, int correct,
               double latency_ms = 100, int errors = 0, const std::string& text = "",
               bool simulated = false, const std::string& model_version = "") {
    std::vector<PredictionRecord> batch;
    std::vector<Feedback> feedback;
    for (int i = 0; i < requests; ++i) {
      PredictionRecord p;
      p.prediction_id = make_prediction_id();
      p.request_id = approach + "-" + std::to_string(day) + "-" + std::to_string(i);
      p.approach = approach;
      p.label = "a";
      p.latency_ms = latency_ms;
      p.cost_usd = 0.01;
      p.text_hash = p.request_id;
      p.created_at_ms = kT0 + day * kDayMs + i * 1000;
      if (i < errors) p.error = "upstream 500";
      if (!text.empty()) p.text = text;
      p.simulated = simulated;
      p.model_version = model_version;
      batch.push_back(p);
      if (i < labelled)
        feedback.push_back({Feedback::By::request_id, p.request_id, i < correct ? "a" : "b",
                            p.created_at_ms + 3'600'000});
    }
    store_->log_predictions(batch);
    if (!feedback.empty()) store_->record_feedback_batch(feedback);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace tunecase::monitor::testing
