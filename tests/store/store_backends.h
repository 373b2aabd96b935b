#pragma once

// The two backends the conformance suite runs against, each giving a fresh, empty store
// location per test and a way to run raw SQL behind the Store's back (to fake a newer schema).

#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>
#include <filesystem>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>

#include "postgres_server.h"

namespace tunecase::testing {

struct SqliteBackend {
  static std::string new_location() {
    static int next = 0;
    auto dir = std::filesystem::temp_directory_path() /
               ("tunecase-store-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    return (dir / ("store" + std::to_string(next++) + ".db")).string();
  }
  static void exec_raw(const std::string& location, const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(location.c_str(), &db);
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    if (rc != SQLITE_OK) throw std::runtime_error("raw SQL failed: " + sql);
  }
  // Takes a store back to version 11's shape: version 12 adds the pair cells per segment.
  static void undo_version_12(const std::string& location) {
    exec_raw(location, "DROP TABLE rollup_pair_segments");
  }
  // Takes a store back to version 10's shape: version 11 adds unpriced_attempts.
  static void undo_version_11(const std::string& location) {
    undo_version_12(location);
    for (const char* table : {"predictions", "rollup_hours", "rollup_days"})
      exec_raw(location, fmt::format("ALTER TABLE {} DROP COLUMN unpriced_attempts", table));
  }
  // Takes a store back to version 9's shape: version 10 adds costed_errors to the roll-ups.
  static void undo_version_10(const std::string& location) {
    undo_version_11(location);
    exec_raw(location, "ALTER TABLE rollup_hours DROP COLUMN costed_errors");
    exec_raw(location, "ALTER TABLE rollup_days DROP COLUMN costed_errors");
  }
  // Takes a store back to version 7's shape for the migration tests: versions 8 and 9 only
  // change SQLite (request runs in place of the request-id index; the runs in blocks).
  static void undo_versions_8_and_9(const std::string& location) {
    for (const char* sql :
         {"DROP TABLE request_run_blocks", "DROP TABLE request_run_meta",
          "DROP TABLE request_run_merge", "DELETE FROM meta WHERE key = 'request_runs_upto'",
          "CREATE INDEX predictions_request ON predictions(request_id)"})
      exec_raw(location, sql);
  }
  static void cleanup() {
    std::error_code ignored;
    std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                    ("tunecase-store-test-" + std::to_string(getpid())),
                                ignored);
  }
};

struct PostgresBackend {
  // "" when no server can run here (the test skips).
  static std::string new_location() {
    PostgresServer* server = PostgresServer::get();
    return server ? server->new_database() : "";
  }
  static void exec_raw(const std::string& location, const std::string& sql) {
    pqxx::connection c(location);
    pqxx::nontransaction tx(c);
    tx.exec(sql);
  }
  static void undo_version_12(const std::string& location) {
    exec_raw(location, "DROP TABLE rollup_pair_segments");
  }
  static void undo_version_11(const std::string& location) {
    undo_version_12(location);
    for (const char* table : {"predictions", "rollup_hours", "rollup_days"})
      exec_raw(location, fmt::format("ALTER TABLE {} DROP COLUMN unpriced_attempts", table));
  }
  static void undo_version_10(const std::string& location) {
    undo_version_11(location);
    exec_raw(location, "ALTER TABLE rollup_hours DROP COLUMN costed_errors");
    exec_raw(location, "ALTER TABLE rollup_days DROP COLUMN costed_errors");
  }
  static void undo_versions_8_and_9(const std::string&) {}
  static void cleanup() {}
};

struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, SqliteBackend> ? "Sqlite" : "Postgres";
  }
};

}  // namespace tunecase::testing
