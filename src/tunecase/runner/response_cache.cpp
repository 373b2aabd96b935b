#include "tunecase/runner/response_cache.h"

#include <algorithm>

#include <fmt/format.h>
#include <sqlite3.h>

#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/sqlite_setup.h"

namespace tunecase {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS responses (
  id INTEGER PRIMARY KEY,
  hash INTEGER NOT NULL,
  key TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  latency_ms REAL NOT NULL,
  simulated INTEGER NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS responses_hash ON responses(hash);
)sql";

int64_t key_hash(const std::string& key) {
  return static_cast<int64_t>(fnv1a64(key));
}

}  // namespace

std::string cache_key(std::string_view endpoint, std::string_view model, std::string_view body) {
  return fmt::format("{}\n{}\n{}", endpoint, model, body);
}

ResponseCache::ResponseCache(const std::filesystem::path& file) : file_(file) {
  std::error_code ignored;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ignored);
  try {
    open();
  } catch (...) {
    // The destructor does not run for a constructor that throws: release what was opened
    // (sqlite3_open allocates a handle even when it fails).
    close();
    throw;
  }
}

void ResponseCache::open() {
  configure_sqlite();
  // A database made for something else (a tunecase store given as --cache) is left as it is.
  if (std::filesystem::exists(file_)) {
    if (auto tables = sqlite_tables(file_.string());
        tables && !tables->empty() &&
        std::find(tables->begin(), tables->end(), "responses") == tables->end())
      throw UserError(fmt::format(
          "{}: this SQLite file is not a response cache (it holds the tables {}, and no "
          "responses table), perhaps a tunecase store; nothing was written to it. Give --cache "
          "a file of its own (or leave --cache out for the project's)",
          file_.string(), listed_tables(*tables)));
  }
  if (sqlite3_open(file_.string().c_str(), &db_) != SQLITE_OK) fail("open");
  sqlite3_busy_timeout(db_, 5000);
  // WAL + NORMAL: each commit reaches the OS before put() returns, which survives a killed
  // process; only a power cut can lose the last answers, and those are simply asked again.
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  exec(kSchema);
  if (sqlite3_prepare_v2(db_,
                         "SELECT key, status, body, latency_ms, simulated FROM responses "
                         "WHERE hash = ?",
                         -1, &select_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_,
                         "INSERT INTO responses(hash, key, status, body, latency_ms, simulated) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         -1, &insert_, nullptr) != SQLITE_OK) {
    fail("prepare");
  }
}

void ResponseCache::close() noexcept {
  sqlite3_finalize(select_);
  sqlite3_finalize(insert_);
  sqlite3_close(db_);
  select_ = nullptr;
  insert_ = nullptr;
  db_ = nullptr;
}

ResponseCache::~ResponseCache() {
  close();
}

void ResponseCache::fail(const char* what) const {
  int code = db_ != nullptr ? sqlite3_errcode(db_) & 0xff : SQLITE_NOMEM;
  // A write that ran out of room is often an I/O error to SQLite: said as the full disk it is.
  if (code == SQLITE_IOERR && disk_nearly_full(file_)) code = SQLITE_FULL;
  // A damaged file is not a permissions problem: say so, and what moving it aside costs.
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
    throw UserError(fmt::format(
        "{}: the response cache cannot {}: the file is damaged or not a response cache ({}). "
        "Move it aside (or pass --cache OTHER_FILE, or --no-cache) and run again; the answers "
        "it held are then asked for, and paid for, again",
        file_.string(), what, sqlite3_errmsg(db_)));
  }
  // Another cache file starts empty: every answer this one holds would be paid for again.
  if (code == SQLITE_FULL) {
    throw UserError(fmt::format(
        "{}: the response cache cannot {}: the disk holding it is full ({}). Free space on that "
        "disk: the answers it holds are kept and not paid for again (another cache file would "
        "start empty and pay for them again)",
        file_.string(), what, sqlite3_errmsg(db_)));
  }
  throw UserError(fmt::format(
      "{}: the response cache cannot {} ({}); check that the file and its folder are writable "
      "(another cache file would start empty and pay for its answers again)",
      file_.string(), what, db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
}

void ResponseCache::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail("be set up");
}

std::optional<CachedResponse> ResponseCache::get(const std::string& key) {
  sqlite3_reset(select_);
  sqlite3_bind_int64(select_, 1, key_hash(key));
  std::optional<CachedResponse> found;
  int rc;
  while ((rc = sqlite3_step(select_)) == SQLITE_ROW) {
    auto text = [&](int column) {
      auto p = reinterpret_cast<const char*>(sqlite3_column_text(select_, column));
      return std::string(p ? p : "",
                         static_cast<std::size_t>(sqlite3_column_bytes(select_, column)));
    };
    if (text(0) != key) continue;  // same hash, another request
    found = CachedResponse{sqlite3_column_int(select_, 1), text(2),
                           sqlite3_column_double(select_, 3), sqlite3_column_int(select_, 4) != 0};
    break;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail("be read");
  sqlite3_reset(select_);
  return found;
}

void ResponseCache::put(const std::string& key, const CachedResponse& response) {
  if (get(key)) return;  // two runs racing on one file: the first answer stays
  sqlite3_reset(insert_);
  sqlite3_bind_int64(insert_, 1, key_hash(key));
  sqlite3_bind_text(insert_, 2, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  sqlite3_bind_int(insert_, 3, static_cast<int>(response.status));
  sqlite3_bind_text(insert_, 4, response.body.data(), static_cast<int>(response.body.size()),
                    SQLITE_STATIC);
  sqlite3_bind_double(insert_, 5, response.latency_ms);
  sqlite3_bind_int(insert_, 6, response.simulated ? 1 : 0);
  if (sqlite3_step(insert_) != SQLITE_DONE) fail("be written");
  sqlite3_reset(insert_);
}

void ResponseCache::erase(const std::string& key) {
  sqlite3_stmt* erase = nullptr;
  if (sqlite3_prepare_v2(db_, "DELETE FROM responses WHERE hash = ? AND key = ?", -1, &erase,
                         nullptr) != SQLITE_OK)
    fail("prepare");
  sqlite3_bind_int64(erase, 1, key_hash(key));
  sqlite3_bind_text(erase, 2, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  int rc = sqlite3_step(erase);
  sqlite3_finalize(erase);
  if (rc != SQLITE_DONE) fail("be written");
}

void ResponseCache::replace(const std::string& key, const CachedResponse& response) {
  erase(key);
  put(key, response);
}

std::size_t ResponseCache::size() {
  sqlite3_stmt* count = nullptr;
  sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM responses", -1, &count, nullptr);
  std::size_t n = sqlite3_step(count) == SQLITE_ROW ? sqlite3_column_int64(count, 0) : 0;
  sqlite3_finalize(count);
  return n;
}

}  // namespace tunecase
