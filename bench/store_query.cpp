// The store's pilot-report floor: with one million logged predictions the pilot page must answer
// in under 100 ms. Fills a SQLite store with N predictions (14 days, a 95/5 split between two
// approaches, 5 segments, 10 labels, latencies from a log-normal), gives ground truth to a share
// of them, then times Store::pilot_counts and the live dashboard's data (serve::dashboard_data:
// the pilot report plus every day's figures). Prints one figure per line.
//
//   build/bench/store_query [rows=1000000] [labelled_share=0.3] [store=/tmp/...db] [days=14]
//                           [reuse]
// STORE_BENCH_IDS=random gives each prediction a random client id (a UUID's 32 hex digits)
// instead of T-1, T-2, ... in order: ids a ticketing system hands out in no order.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tunecase/serve/dashboard.h"
#include "tunecase/store/store.h"

using namespace tunecase;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kT0 = 1772409600000;  // 2026-03-02 00:00 UTC
int64_t kDays = 14;                     // the span the rows cover (argument 4)
bool kRandomIds = false;                // STORE_BENCH_IDS=random

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

PredictionRecord make_row(int64_t i, int64_t rows, std::mt19937_64& rng) {
  std::lognormal_distribution<double> latency(std::log(30.0), 0.6);
  PredictionRecord p;
  p.prediction_id = make_prediction_id();
  p.request_id = kRandomIds ? fmt::format("{:016x}{:016x}", rng(), rng()) : fmt::format("T-{}", i);
  bool challenger = rng() % 100 < 5;
  p.approach = challenger ? "llm-few-shot" : "local-linear";
  p.arm = challenger ? Arm::challenger : Arm::champion;
  p.segment = fmt::format("segment-{}", rng() % 5);
  p.label = fmt::format("label-{}", rng() % 10);
  p.latency_ms = latency(rng);
  p.upstream_ms = p.latency_ms * 0.9;
  p.tokens_in = challenger ? 400 + static_cast<int64_t>(rng() % 200) : 0;
  p.tokens_out = challenger ? 5 : 0;
  if (challenger) p.cost_usd = 0.0004;
  if (rng() % 200 == 0) p.error = "HTTP 500";
  p.text_hash = fmt::format("{:016x}", rng());
  p.created_at_ms = kT0 + i * (kDays * 24 * kHour) / rows;
  p.model_version = "v1";
  return p;
}

struct Timing {
  double median = 0, worst = 0;
};

template <typename Fn>
Timing time_runs(int runs, Fn&& fn) {
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    auto start = Clock::now();
    fn();
    ms.push_back(ms_since(start));
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.back()};
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = argc > 1 ? std::stoll(argv[1]) : 1'000'000;
  double share = argc > 2 ? std::stod(argv[2]) : 0.3;
  std::string path = argc > 3 ? argv[3] : "/tmp/tunecase-store-bench.db";
  if (argc > 4) kDays = std::stoll(argv[4]);
  if (const char* ids = std::getenv("STORE_BENCH_IDS")) kRandomIds = std::string(ids) == "random";
  // "reuse" as argument 5 times the queries on a store an earlier run filled.
  const bool reuse = argc > 5 && std::string(argv[5]) == "reuse";
  if (!reuse)
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto store = open_store(path);
  if (reuse) rows = 0;
  std::mt19937_64 rng(11);

  auto start = Clock::now();
  std::vector<PredictionRecord> batch;
  std::vector<Feedback> labels;
  int64_t labelled = 0;
  for (int64_t i = 0; i < rows; ++i) {
    batch.push_back(make_row(i, rows, rng));
    if (std::uniform_real_distribution<double>(0, 1)(rng) < share) {
      // Gold = the prediction 80% of the time.
      std::string gold = rng() % 5 ? batch.back().label : fmt::format("label-{}", rng() % 10);
      labels.push_back({Feedback::By::prediction_id, batch.back().prediction_id, gold,
                        batch.back().created_at_ms + 48 * kHour});
    }
    if (batch.size() == 500 || i + 1 == rows) {
      store->log_predictions(batch);
      batch.clear();
    }
  }
  double log_ms = ms_since(start);
  start = Clock::now();
  for (std::size_t i = 0; i < labels.size(); i += 1000) {
    std::vector<Feedback> chunk(
        labels.begin() + static_cast<std::ptrdiff_t>(i),
        labels.begin() + static_cast<std::ptrdiff_t>(std::min(labels.size(), i + 1000)));
    for (const auto& r : store->record_feedback_batch(chunk)) labelled += r.predictions;
  }
  double feedback_ms = ms_since(start);
  Timing single;
  if (!labels.empty())
    single = time_runs(200, [&] {
      store->record_feedback(labels[rng() % labels.size()]);  // one durable commit each
    });

  PilotQuery all;
  PilotQuery window;  // a pilot that started mid-hour on day 2 and is read mid-hour on day 14
  window.from_ms = kT0 + 26 * kHour + 1234567;
  window.to_ms = kT0 + (kDays * 24 - 5) * kHour + 2345678;
  serve::PilotPlan plan;
  plan.champion = "local-linear";
  plan.challenger = "llm-few-shot";
  plan.mode = serve::ServeMode::split;
  serve::ReportContext report;
  report.started_at_ms = window.from_ms;
  report.now_ms = window.to_ms;
  serve::DashboardContext dashboard;
  nlohmann::json page = serve::dashboard_data(*store, plan, report, dashboard);
  PilotQuery paired = window;
  paired.paired = {{"local-linear", "llm-few-shot"}};
  PilotCounts counts = store->pilot_counts(all);
  Timing t_all = time_runs(20, [&] { store->pilot_counts(all); });
  Timing t_window = time_runs(20, [&] { store->pilot_counts(window); });
  Timing t_paired = time_runs(5, [&] { store->pilot_counts(paired); });
  Timing t_dashboard =
      time_runs(10, [&] { serve::dashboard_data(*store, plan, report, dashboard); });

  int64_t requests = 0;
  for (const auto& a : counts.arms) requests += a.requests;
  fmt::print("rows                     {}\n", requests);
  fmt::print("labelled predictions     {}\n", labelled);
  fmt::print("log_predictions          {:.0f} predictions/s (batches of 500)\n",
             rows / (log_ms / 1000));
  fmt::print("record_feedback_batch    {:.0f} feedback/s (batches of 1000)\n",
             static_cast<double>(labels.size()) / (feedback_ms / 1000));
  fmt::print("record_feedback          {:.2f} ms median, {:.2f} ms worst (one durable commit)\n",
             single.median, single.worst);
  fmt::print("pilot_counts all         {:.1f} ms median, {:.1f} ms worst\n", t_all.median,
             t_all.worst);
  fmt::print("pilot_counts window      {:.1f} ms median, {:.1f} ms worst\n", t_window.median,
             t_window.worst);
  fmt::print("pilot_counts + pairs     {:.1f} ms median, {:.1f} ms worst\n", t_paired.median,
             t_paired.worst);
  fmt::print("dashboard_data           {:.1f} ms median, {:.1f} ms worst ({} day rows)\n",
             t_dashboard.median, t_dashboard.worst, page["days"].size());
  fmt::print("store file               {:.0f} MB\n",
             static_cast<double>(std::filesystem::file_size(path)) / 1e6);
  return 0;
}
