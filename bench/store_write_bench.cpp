// What the gateway's log costs off the response path, per logged item: the prediction log's
// commits (Store::log_predictions, batches of 250 as a gateway at 5,000 requests/s with its 50 ms
// window makes them; also 2,000 and 8,000, what fewer, larger commits would save) and the audit
// of what left the machine (the take-and-store of each outbound body after each commit: its
// hash, then Store::append_audit). Rows look like the gateway's: time-ordered prediction ids,
// client ids, one approach, a real hash per text.
//
//   build/bench/store_write_bench   (a fresh SQLite store under /tmp for each benchmark; the
//                                    argument after the name is the rows per commit)
//
// The figures are CPU time per item; BM_InsertBaseline (a plain table of the same columns, no
// index, no roll-up) is the floor they are compared with in docs/benchmarks.md.

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tunecase/core/hash.h"
#include "tunecase/privacy/audit.h"
#include "tunecase/store/store.h"

using namespace tunecase;

namespace {

constexpr int kBatch = 250;  // per commit, as a gateway at 5,000 requests/s makes them

void remove_store(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

std::string fresh_path(const char* name) {
  std::string path = fmt::format("/tmp/tunecase-store-write-{}-{}.db", name, getpid());
  remove_store(path);
  return path;
}

PredictionRecord gateway_row(int64_t i, std::mt19937_64& rng) {
  PredictionRecord p;
  p.prediction_id = make_prediction_id();
  p.request_id = fmt::format("T-{}", i);
  p.approach = "llm-zero-shot";
  p.arm = Arm::champion;
  p.label = fmt::format("label-{}", rng() % 10);
  p.latency_ms = 0.4 + static_cast<double>(rng() % 1000) / 1000.0;
  p.upstream_ms = p.latency_ms * 0.8;
  p.tokens_in = 400 + static_cast<int64_t>(rng() % 200);
  p.tokens_out = 3;
  p.cost_usd = 0.00006;
  p.text_hash = text_hash(fmt::format("ticket text {}", rng()));
  p.created_at_ms = 1772409600000 + i / 5;  // 5,000 a second
  p.model_version = "gpt-4o-mini";
  return p;
}

// The next `rows` rows, numbered on from `i`.
void next_batch(std::vector<PredictionRecord>& batch, int64_t rows, int64_t& i,
                std::mt19937_64& rng) {
  batch.clear();
  for (int64_t k = 0; k < rows; ++k) batch.push_back(gateway_row(i++, rng));
}

void BM_LogPredictions(benchmark::State& state) {
  std::string path = fresh_path("predictions");
  auto store = open_store(path);
  std::mt19937_64 rng(7);
  int64_t i = 0;
  const int64_t rows = state.range(0);
  std::vector<PredictionRecord> batch;
  for (auto _ : state) {
    state.PauseTiming();
    next_batch(batch, rows, i, rng);
    state.ResumeTiming();
    store->log_predictions(batch);
  }
  state.SetItemsProcessed(state.iterations() * rows);
  store.reset();
  remove_store(path);
}
BENCHMARK(BM_LogPredictions)
    ->Arg(kBatch)
    ->Arg(2000)
    ->Arg(8000)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

// The audit's move of a gateway's outbound bodies: hash and count each (take_new), then store
// them (after each commit of the prediction log: about 250 bodies at 5,000 requests/s; the
// argument is the bodies per commit).
void BM_AuditFlush(benchmark::State& state) {
  std::string path = fresh_path("audit");
  auto store = open_store(path);
  std::string body(600, 'x');
  const std::string url = "http://127.0.0.1:8000/v1/chat/completions";
  AuditLog log("serve", {}, AuditLog::Bodies::kHandOver);
  const int64_t flush = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    for (int64_t k = 0; k < flush; ++k) {
      body[static_cast<std::size_t>(k) % body.size()] = static_cast<char>('a' + k % 26);
      log.record(url, body);
    }
    state.ResumeTiming();
    std::vector<AuditRecord> rows;
    for (auto& ev : log.take_new())
      rows.push_back(
          {"replica-1", ev.endpoint, ev.local, ev.body.at_ms, ev.body.sha256, ev.body.bytes, "{}"});
    store->append_audit(rows);
  }
  state.SetItemsProcessed(state.iterations() * flush);
  store.reset();
  remove_store(path);
}
BENCHMARK(BM_AuditFlush)->Arg(kBatch)->Arg(2000)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The floor: the prediction rows' columns into a plain SQLite table (no key, no index, no
// roll-up), one prepared statement, a transaction per batch, WAL with synchronous=NORMAL.
void BM_InsertBaseline(benchmark::State& state) {
  std::string path = fresh_path("baseline");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr,
               nullptr);
  sqlite3_exec(db,
               "CREATE TABLE p (prediction_id TEXT, request_id TEXT, approach TEXT, arm TEXT, "
               "segment TEXT, label TEXT, confidence REAL, abstained INTEGER, latency_ms REAL, "
               "upstream_ms REAL, tokens_in INTEGER, tokens_out INTEGER, cost_usd REAL, error "
               "TEXT, fallback INTEGER, simulated INTEGER, text_hash TEXT, created_at INTEGER, "
               "model_version TEXT, timed_out INTEGER, cached INTEGER)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO p VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                     "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
                     -1, &insert, nullptr);
  std::mt19937_64 rng(7);
  int64_t i = 0;
  std::vector<PredictionRecord> batch;
  auto text = [&](int column, const std::string& s) {
    sqlite3_bind_text(insert, column, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  };
  for (auto _ : state) {
    state.PauseTiming();
    next_batch(batch, kBatch, i, rng);
    state.ResumeTiming();
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (const PredictionRecord& p : batch) {
      text(1, p.prediction_id);
      text(2, p.request_id);
      text(3, p.approach);
      sqlite3_bind_text(insert, 4, "champion", -1, SQLITE_STATIC);
      text(5, p.segment);
      text(6, p.label);
      sqlite3_bind_null(insert, 7);
      sqlite3_bind_int(insert, 8, p.abstained);
      sqlite3_bind_double(insert, 9, p.latency_ms);
      sqlite3_bind_double(insert, 10, p.upstream_ms);
      sqlite3_bind_int64(insert, 11, p.tokens_in);
      sqlite3_bind_int64(insert, 12, p.tokens_out);
      sqlite3_bind_double(insert, 13, p.cost_usd.value_or(0));
      sqlite3_bind_null(insert, 14);
      sqlite3_bind_int(insert, 15, 0);
      sqlite3_bind_int(insert, 16, 0);
      text(17, p.text_hash);
      sqlite3_bind_int64(insert, 18, p.created_at_ms);
      text(19, p.model_version);
      sqlite3_bind_int(insert, 20, 0);
      sqlite3_bind_int(insert, 21, 0);
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  remove_store(path);
}
BENCHMARK(BM_InsertBaseline)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
