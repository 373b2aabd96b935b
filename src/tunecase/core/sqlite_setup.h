#pragma once

#include <sqlite3.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tunecase {

// Process-wide SQLite settings, made once before the first connection opens (the store's and
// the response cache's both call this first). SQLite's memory statistics take a process-wide
// mutex around every allocation it makes, thousands in each of the gateway's commits, and
// nothing in tunecase reads them: they are off. Where SQLite had started already, it refuses
// the change and keeps them, which is only slower.
inline void configure_sqlite() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

// The tables of an existing SQLite file, read without writing to it; nullopt when it cannot be
// opened or read as a database (the caller's own open then says why). For refusing a file made
// for something else (the response cache given as a store, another application's database)
// before the schema of another purpose is written into it.
inline std::optional<std::vector<std::string>> sqlite_tables(const std::string& file) {
  configure_sqlite();
  sqlite3* db = nullptr;
  std::optional<std::vector<std::string>> out;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* list = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &list,
                           nullptr) == SQLITE_OK) {
      std::vector<std::string> names;
      int rc;
      while ((rc = sqlite3_step(list)) == SQLITE_ROW)
        names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(list, 0)));
      if (rc == SQLITE_DONE) out = std::move(names);
    }
    sqlite3_finalize(list);
  }
  sqlite3_close(db);
  return out;
}

// Tables for a message: "a, b, c, d, ..." (the first four).
inline std::string listed_tables(const std::vector<std::string>& tables) {
  std::string out;
  for (std::size_t i = 0; i < tables.size() && i < 4; ++i) out += (i ? ", " : "") + tables[i];
  return tables.size() > 4 ? out + ", ..." : out;
}

}  // namespace tunecase
